"""minimem.checkpoints: one format, atomic writes, safe loading, clear errors."""

import pytest
import torch
from torch import nn

from minimem import checkpoints


def test_round_trip_rebuilds_the_same_model(tmp_path):
    model = nn.Linear(3, 2)
    path = checkpoints.save(tmp_path / "m.pt", model, {"in_features": 3, "out_features": 2},
                            {"acc": 0.5, "per_n": {"5": [1, 2]}}, note="seed 0")
    ckpt = checkpoints.load(path, kind="Linear")
    again = nn.Linear(**ckpt.config)
    again.load_state_dict(ckpt.state_dict)
    x = torch.randn(4, 3)
    assert torch.equal(model(x), again(x))
    assert ckpt.metrics == {"acc": 0.5, "per_n": {"5": [1, 2]}} and ckpt.extra == {"note": "seed 0"}
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left behind


def test_a_failed_save_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "m.pt"
    checkpoints.save(path, nn.Linear(1, 1), {"in_features": 1, "out_features": 1})
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"config\['f'\] is a function"):
        checkpoints.save(path, nn.Linear(1, 1), {"f": lambda: 0})
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable checkpoint"),
    (b"garbage" * 10, "not a readable checkpoint"),
])
def test_unreadable_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as err:
        checkpoints.load(path)
    assert "bad.pt" in str(err.value)


def test_foreign_or_wrong_kind_files_are_refused(tmp_path):
    torch.save({"weights": torch.ones(1)}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="not a minimem checkpoint"):
        checkpoints.load(tmp_path / "foreign.pt")
    checkpoints.save(tmp_path / "m.pt", nn.Linear(1, 1), {})
    with pytest.raises(ValueError, match="holds a Linear, not a PointerNet"):
        checkpoints.load(tmp_path / "m.pt", kind="PointerNet")
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        checkpoints.load(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        checkpoints.save(tmp_path / "no" / "m.pt", nn.Linear(1, 1), {})
    with pytest.raises(FileNotFoundError, match="available"):
        checkpoints.shipped("nothing.pt")
