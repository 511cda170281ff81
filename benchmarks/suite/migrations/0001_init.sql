-- The suite benchmark's schema, shared by the JS and the Python worker.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    total INTEGER NOT NULL
);
