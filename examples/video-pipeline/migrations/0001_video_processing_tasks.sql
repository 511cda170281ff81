-- The seeds' task table and its indexes.
CREATE TABLE video_processing_tasks (
  id TEXT PRIMARY KEY,
  video_key TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  workflow_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  metadata TEXT, -- JSON metadata
  error_message TEXT,
  retry_count INTEGER DEFAULT 0
);

CREATE INDEX idx_tasks_status ON video_processing_tasks(status);
CREATE INDEX idx_tasks_created ON video_processing_tasks(created_at);

-- What the queue consumer delivered (one row per event it handled).
CREATE TABLE video_events (
  message_id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  type TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
