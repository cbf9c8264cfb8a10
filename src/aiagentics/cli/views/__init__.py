"""How commands show things: one module per subject, a human (Rich) view and a JSON view."""
