"""The generators of the illustrative extracts (the HPS, calibrated to its published figures, and an invented
second programme) and their registry: the only code that knows a programme by name."""
