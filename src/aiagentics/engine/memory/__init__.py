"""Memory: KV scratchpads (kv), the chunk index with BM25/hybrid ranking (index, retrieval),
memory tools and retrieval context for runs (tools), and their HTTP routes (api).

The service is wired into the gateway by `memory.service.install_memory(services)`.
"""
