"""Migrations of the `memory` component: KV scratchpads and the file chunk index (FTS5)."""

from __future__ import annotations

COMPONENT = "memory"

MIGRATIONS = [
    # 1: key-value scratchpads; scope_id is the user or session id ('' for project scope).
    """
    CREATE TABLE memory_kv (
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        memory_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        scope_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        expires_at REAL,
        PRIMARY KEY (project, environment, memory_id, scope, scope_id, key)
    );
    CREATE INDEX memory_kv_expiry ON memory_kv (expires_at) WHERE expires_at IS NOT NULL;
    CREATE INDEX memory_kv_memory ON memory_kv (memory_id);
    """,
    # 2: extracted text of files and their chunks, one chunk set per chunking profile
    #    (chunk_size, chunk_overlap); FTS5 over the chunks with porter stemming for BM25.
    """
    CREATE TABLE file_texts (
        file_id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE file_chunks (
        id INTEGER PRIMARY KEY,
        file_id TEXT NOT NULL,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        chunk_size INTEGER NOT NULL,
        chunk_overlap INTEGER NOT NULL,
        chunk_index INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        embedding BLOB,
        UNIQUE (file_id, chunk_size, chunk_overlap, chunk_index)
    );
    CREATE INDEX file_chunks_scope ON file_chunks (project, environment, chunk_size, chunk_overlap);
    CREATE VIRTUAL TABLE file_chunks_fts USING fts5(
        text, content='file_chunks', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER file_chunks_ai AFTER INSERT ON file_chunks BEGIN
        INSERT INTO file_chunks_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER file_chunks_ad AFTER DELETE ON file_chunks BEGIN
        INSERT INTO file_chunks_fts (file_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    """,
    # 3: one row per (file, profile) chunk set. Chunks are written in slices, and a set is
    #    searchable only once its row says complete; `token` names the writer of the set, so
    #    a writer that was superseded stops. Sets indexed before this step are complete.
    """
    CREATE TABLE file_chunk_sets (
        file_id TEXT NOT NULL,
        project TEXT NOT NULL,
        environment TEXT NOT NULL,
        chunk_size INTEGER NOT NULL,
        chunk_overlap INTEGER NOT NULL,
        token TEXT NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (file_id, chunk_size, chunk_overlap)
    );
    CREATE INDEX file_chunk_sets_scope ON file_chunk_sets (project, environment, chunk_size,
        chunk_overlap);
    INSERT INTO file_chunk_sets (file_id, project, environment, chunk_size, chunk_overlap,
        token, complete)
        SELECT file_id, MIN(project), MIN(environment), chunk_size, chunk_overlap, '', 1
        FROM file_chunks GROUP BY file_id, chunk_size, chunk_overlap;
    """,
]
