-- A ledger written by spotsyncd before Alembic (schema_version 1): tables and 3 queued links.
-- Made with the pre-migration code and sqlite3's iterdump; tests/ledger/test_migrate.py stamps it.
BEGIN TRANSACTION;
CREATE TABLE collection_items (
	parent_id INTEGER NOT NULL, 
	child_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	PRIMARY KEY (parent_id, child_id), 
	FOREIGN KEY(parent_id) REFERENCES tracks (id) ON DELETE CASCADE, 
	FOREIGN KEY(child_id) REFERENCES tracks (id) ON DELETE CASCADE
);
CREATE TABLE events (
	id INTEGER NOT NULL, 
	ts FLOAT NOT NULL, 
	track_id INTEGER, 
	follow_id INTEGER, 
	level VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	message TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(track_id) REFERENCES tracks (id) ON DELETE CASCADE, 
	FOREIGN KEY(follow_id) REFERENCES follows (id) ON DELETE CASCADE
);
INSERT INTO "events" VALUES(1,1.79599872044926667214e+09,1,NULL,'info','queued','queued http://127.0.0.1/0.mp3');
INSERT INTO "events" VALUES(2,1.79599872044926667214e+09,2,NULL,'info','queued','queued http://127.0.0.1/1.mp3');
INSERT INTO "events" VALUES(3,1.79599872044926667214e+09,3,NULL,'info','queued','queued http://127.0.0.1/2.mp3');
CREATE TABLE follow_items (
	follow_id INTEGER NOT NULL, 
	track_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	first_seen FLOAT NOT NULL, 
	absent_since FLOAT, 
	added_by_follow BOOLEAN NOT NULL, 
	PRIMARY KEY (follow_id, track_id), 
	UNIQUE (follow_id, track_id), 
	FOREIGN KEY(follow_id) REFERENCES follows (id) ON DELETE CASCADE, 
	FOREIGN KEY(track_id) REFERENCES tracks (id) ON DELETE CASCADE
);
CREATE TABLE follows (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	"key" VARCHAR NOT NULL, 
	url TEXT NOT NULL, 
	source VARCHAR NOT NULL, 
	interval_s INTEGER NOT NULL, 
	options_json TEXT, 
	origin VARCHAR NOT NULL, 
	created_at FLOAT NOT NULL, 
	last_poll_at FLOAT, 
	last_change_at FLOAT, 
	fingerprint TEXT, 
	next_poll_at FLOAT, 
	failures INTEGER NOT NULL, 
	error_class VARCHAR, 
	error TEXT, 
	backoff_until FLOAT, 
	title TEXT, 
	auto_name BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name), 
	UNIQUE ("key")
);
CREATE TABLE inbox_files (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	stored_path TEXT, 
	report_path TEXT, 
	received_at FLOAT NOT NULL, 
	outcome VARCHAR NOT NULL, 
	reason TEXT, 
	lines_accepted INTEGER NOT NULL, 
	lines_refused INTEGER NOT NULL, 
	report_final BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE inbox_lines (
	id INTEGER NOT NULL, 
	inbox_file_id INTEGER NOT NULL, 
	line_no INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	track_id INTEGER, 
	error TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(inbox_file_id) REFERENCES inbox_files (id) ON DELETE CASCADE, 
	FOREIGN KEY(track_id) REFERENCES tracks (id) ON DELETE SET NULL
);
CREATE TABLE jobs (
	id INTEGER NOT NULL, 
	track_id INTEGER NOT NULL, 
	state VARCHAR NOT NULL, 
	attempts INTEGER NOT NULL, 
	retry_at FLOAT, 
	error_class VARCHAR, 
	error TEXT, 
	worker VARCHAR, 
	claimed_at FLOAT, 
	updated_at FLOAT NOT NULL, 
	progress_json TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (track_id), 
	FOREIGN KEY(track_id) REFERENCES tracks (id) ON DELETE CASCADE
);
INSERT INTO "jobs" VALUES(1,1,'pending',0,NULL,NULL,NULL,NULL,NULL,1.79599872044926667214e+09,NULL);
INSERT INTO "jobs" VALUES(2,2,'pending',0,NULL,NULL,NULL,NULL,NULL,1.79599872044926667214e+09,NULL);
INSERT INTO "jobs" VALUES(3,3,'pending',0,NULL,NULL,NULL,NULL,NULL,1.79599872044926667214e+09,NULL);
CREATE TABLE schema_meta (
	name VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY (name)
);
INSERT INTO "schema_meta" VALUES('schema_version','1');
INSERT INTO "schema_meta" VALUES('created_at','1795998720.4316497');
CREATE TABLE tracks (
	id INTEGER NOT NULL, 
	"key" VARCHAR NOT NULL, 
	url TEXT NOT NULL, 
	source VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	override_url TEXT, 
	title TEXT, 
	artist TEXT, 
	album TEXT, 
	meta_json TEXT, 
	info_json TEXT, 
	candidates_json TEXT, 
	options_json TEXT, 
	path TEXT, 
	replaces_path TEXT, 
	size_bytes INTEGER, 
	duration_s FLOAT, 
	audio_settings TEXT, 
	loudness_lufs FLOAT, 
	created_at FLOAT NOT NULL, 
	done_at FLOAT, 
	download_s FLOAT, 
	process_s FLOAT, 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	UNIQUE (path)
);
INSERT INTO "tracks" VALUES(1,'url:http://127.0.0.1/0.mp3','http://127.0.0.1/0.mp3','generic','unknown',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1.79599872044926667214e+09,NULL,NULL,NULL);
INSERT INTO "tracks" VALUES(2,'url:http://127.0.0.1/1.mp3','http://127.0.0.1/1.mp3','generic','unknown',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1.79599872044926667214e+09,NULL,NULL,NULL);
INSERT INTO "tracks" VALUES(3,'url:http://127.0.0.1/2.mp3','http://127.0.0.1/2.mp3','generic','unknown',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1.79599872044926667214e+09,NULL,NULL,NULL);
CREATE INDEX ix_jobs_state_retry ON jobs (state, retry_at);
CREATE INDEX ix_inbox_lines_file ON inbox_lines (inbox_file_id);
CREATE INDEX ix_follow_items_track ON follow_items (track_id);
CREATE INDEX ix_events_track ON events (track_id);
CREATE INDEX ix_events_ts ON events (ts);
COMMIT;
