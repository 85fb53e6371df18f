"""nas_lessons: the package behind a Jupyter-first course on AutoML and Neural Architecture
Search. Lessons import what they show from here; see README.md for the course map."""

from .data import load_dataset
from .utils import get_device, seed_everything, show_source

__version__ = "0.1.0"
__all__ = ["load_dataset", "seed_everything", "show_source", "get_device", "__version__"]
