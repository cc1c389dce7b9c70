"""minimem: small, readable, tested implementations for the course *Memory in Neural Networks*.

Each module implements one mechanism and names the chapter that teaches it. Lessons import
from here; nothing heavy runs on import.
"""

__version__ = "0.1.0"
