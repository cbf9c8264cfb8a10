"""The PostgreSQL backend (the `postgres` extra): every storage Protocol on psycopg 3, async."""
