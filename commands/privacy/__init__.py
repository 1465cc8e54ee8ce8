"""Personal data: erasure requests and their completion, access exports, retention runs."""
