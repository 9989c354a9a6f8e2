"""Reading: data/ YAML -> validated reading objects, every problem with file:line."""

from .problems import Problem, ReadingError
from .load import load_corpus

__all__ = ["Problem", "ReadingError", "load_corpus"]
