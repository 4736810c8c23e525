"""pytest set-up of the student edition: the course's own (course_conftest.py) and the grade of `make check` (grade.py)."""
import os
from pathlib import Path

# The notebooks' kernels import *your* nndl, the one in this folder, whatever else is installed.
_here = str(Path(__file__).resolve().parent)
os.environ['PYTHONPATH'] = os.pathsep.join([_here, *[p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]])

from course_conftest import *  # `#| slow` cells are skipped unless NNDL_SLOW=1, as in the course

pytest_plugins = ['grade']
