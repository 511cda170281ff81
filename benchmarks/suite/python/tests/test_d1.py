import pytest
from helpers import call, migrate, send

TITLES = ["groceries", "todo", "ideas", "ünïcode ✓", "a much longer title for a note"]


@pytest.fixture(autouse=True)
async def migrated(pyflare):
    await migrate(pyflare)


async def count_notes(pyflare):
    return (await pyflare.env.DB.prepare("SELECT count(*) AS count FROM notes").first())["count"]


@pytest.mark.parametrize("title", TITLES)
async def test_creates_a_note(pyflare, title):
    created = await send(pyflare, "/notes", {"title": title, "body": f"about {title}"})
    assert created.status_code == 201
    note_id = created.json()["id"]
    response = await call(pyflare, f"/notes/{note_id}")
    assert response.json() == {"id": note_id, "title": title, "body": f"about {title}"}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
async def test_lists_notes_in_order(pyflare, n):
    for i in range(n):
        await send(pyflare, "/notes", {"title": f"note {i}"})
    notes = (await call(pyflare, "/notes")).json()
    assert [note["title"] for note in notes] == [f"note {i}" for i in range(n)]
    assert [note["id"] for note in notes] == [i + 1 for i in range(n)]


@pytest.mark.parametrize("title", TITLES)
async def test_deletes_a_note(pyflare, title):
    note_id = (await send(pyflare, "/notes", {"title": title})).json()["id"]
    assert (await call(pyflare, f"/notes/{note_id}", "DELETE")).status_code == 204
    assert (await call(pyflare, f"/notes/{note_id}", "DELETE")).status_code == 404
    assert await count_notes(pyflare) == 0


@pytest.mark.parametrize("note", [{}, {"title": ""}, {"body": "no title"}, {"title": None}, {"title": "", "body": "x"}])
async def test_refuses_a_note_without_title(pyflare, note):
    response = await send(pyflare, "/notes", note)
    assert response.status_code == 400
    assert response.json() == {"error": "title is required"}
    assert await count_notes(pyflare) == 0
