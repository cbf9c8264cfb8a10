"""HTTP controllers: one module per resource; thin (parse, authorize, call, encode)."""
