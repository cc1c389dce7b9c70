"""Markdown for the chapter-01 paper check (MemN2N, Sukhbaatar et al. 2015,
https://arxiv.org/abs/1503.08895, Table 1): the report of `experiment.benchmark` as a table."""

from __future__ import annotations


def format_report(report: dict) -> str:
    """A Markdown table of a `benchmark` report: per task the paper's error, our best run's,
    every run's, and the training time."""
    settings = report["settings"]
    hops = settings["hops"]
    model = f"{'PE' if settings['position_encoding'] else 'BoW'} LS RN, {hops} hop{'s' * (hops > 1)}"
    runs = settings["runs"]
    lines = [f"MemN2N ({model}, adjacent tying) on {report['source']}; best of {runs} "
             f"run{'s' * (runs > 1)} by training error.", "",
             "| task | paper error % | ours: best error % | all runs | train time (s, all runs) |",
             "| ---: | ---: | ---: | --- | ---: |"]
    for task, row in report["tasks"].items():
        lines.append(f"| {task} | {row['paper_error']:.1f} | {row['best_error']:.1f} | "
                     f"{', '.join(f'{e:.1f}' for e in row['run_errors'])} | {row['seconds']:.0f} |")
    if "summary" in report:
        s = report["summary"]
        lines += ["", f"Mean error: ours {s['mean_error']:.1f} %, paper {s['paper_mean_error']:.1f} %"
                  f" (these tasks). Failed tasks (error > 5 %): ours {s['failed']}, paper "
                  f"{s['paper_failed']}."]
    lines += ["", f"Wall time: {report['wall_seconds']:.0f} s."]
    return "\n".join(lines)
