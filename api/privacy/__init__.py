"""Personal data: access exports (`export.py`) and erasure requests (`erasure.py`)."""
