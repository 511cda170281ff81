-- Every visit event the queue delivered, once per request id.
CREATE TABLE events (request TEXT PRIMARY KEY, user TEXT NOT NULL, visit INTEGER NOT NULL, deliveries INTEGER NOT NULL DEFAULT 1);
CREATE TABLE welcomes (user TEXT PRIMARY KEY, instance TEXT NOT NULL);
