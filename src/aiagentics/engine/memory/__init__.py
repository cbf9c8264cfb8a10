"""Memory: KV scratchpads (kv), retrieval over the chunk index with BM25/hybrid ranking
(retrieval, embeddings), memory tools and retrieval context for runs (tools).

Entries and chunks are kept behind the `Scratchpads` and `Chunks` Protocols of
`aiagentics.storage.memory`; the service is wired into the gateway by
`memory.service.install_memory(services, scratchpads, chunks)`.
"""
