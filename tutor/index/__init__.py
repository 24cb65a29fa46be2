"""Search over chunks: the FAISS vector store, BM25 over folded syllables, and their fusion."""
