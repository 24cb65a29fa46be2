"""The tutor's embedder and retriever inside a real LangChain chain."""

from __future__ import annotations

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.embed.langchain import TutorEmbeddings
from tutor.index.langchain import TutorRetriever
from tutor.wiring import build_tutor


def test_embeddings_adapter_returns_float_lists_of_the_embedder_dimension():
    emb = TutorEmbeddings(HashingEmbedder(64))
    docs = emb.embed_documents(["Bật Wi-Fi", "Mã OTP"])
    assert len(docs) == 2 and all(len(v) == 64 and isinstance(v[0], float) for v in docs)
    assert len(emb.embed_query("wifi")) == 64


def test_retriever_runs_in_a_chain_and_keeps_citation_metadata(built_settings: Settings):
    tutor = build_tutor(built_settings, embedder=HashingEmbedder())
    retriever = TutorRetriever(retriever=tutor.retriever, k=2)
    prompt = ChatPromptTemplate.from_template("Ngữ cảnh:\n{context}\n\nCâu hỏi: {question}")

    def fake_llm(value) -> str:  # a chat model stand-in: echoes the prompt it was given
        return value.to_string()

    chain = (
        {
            "context": retriever | RunnableLambda(lambda docs: "\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | RunnableLambda(fake_llm)
        | StrOutputParser()
    )
    out = chain.invoke("có người xưng công an đòi mã OTP")
    assert "Câu hỏi: có người xưng công an đòi mã OTP" in out
    assert "OTP" in out.split("Câu hỏi:")[0]
    docs = retriever.invoke("kich hoat dinh danh muc 2")
    assert len(docs) == 2
    assert docs[0].metadata["lesson_id"] == "vneid-muc-2"
    assert docs[0].metadata["chunk_id"].startswith("vneid-muc-2#")
