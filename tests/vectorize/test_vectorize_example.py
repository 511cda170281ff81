"""The bundled examples/vectorize worker: documents stored with embeddings and searched by meaning."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vectorize"

DOCS = [
    {"id": "cat-food", "text": "My cat eats fish for dinner", "category": "pets"},
    {"id": "dog-walk", "text": "The puppy pulls the leash when we walk the dog", "category": "pets"},
    {"id": "ci", "text": "Deploy the python code to the servers after the tests pass", "category": "work"},
    {"id": "picnic", "text": "A sunny summer day, warm enough to eat outside", "category": "life"},
]


async def test_documents_are_found_by_meaning_filtered_and_deleted():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        for doc in DOCS:
            assert (await mf.dispatch_fetch("/docs", method="POST", json=doc)).status_code == 201
        assert "documents: 4" in (await mf.dispatch_fetch("/")).text

        results = (await mf.dispatch_fetch("/search?q=what+do+kittens+eat")).json()["results"]
        assert [r["id"] for r in results] == ["cat-food", "picnic"]
        assert results[0]["text"] == "My cat eats fish for dinner"

        in_life = (await mf.dispatch_fetch("/search?q=what+do+kittens+eat&category=life")).json()["results"]
        assert [r["id"] for r in in_life] == ["picnic"]

        # a new text replaces the document (upsert), and moves it in the search
        await mf.dispatch_fetch("/docs", method="POST", json={"id": "picnic", "text": "Rain and storm all week",
                                                              "category": "life"})
        assert [r["id"] for r in (await mf.dispatch_fetch("/search?q=kittens+eat")).json()["results"]] == ["cat-food"]
        assert (await mf.dispatch_fetch("/docs/picnic")).json()["text"] == "Rain and storm all week"

        assert (await mf.dispatch_fetch("/docs/cat-food", method="DELETE")).status_code == 204
        assert (await mf.dispatch_fetch("/docs/cat-food")).status_code == 404
        assert (await mf.dispatch_fetch("/search?q=kittens+eat")).json()["results"] == []
        assert (await mf.dispatch_fetch("/docs", method="POST", json={"text": "no id"})).status_code == 400
