/**
 * Numbered, append-only schema migrations. Never edit a shipped migration: add the next number.
 * Ranges reserved per domain keep parallel work from colliding: 1-99 core/jobs, 100-199 library
 * and hub, 200-299 engine, 300-399 index, 400-499 training, 500-599 analysis, 600-699 clusters.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        params TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        position INTEGER NOT NULL,
        resource TEXT NOT NULL CHECK (resource IN ('gpu', 'cpu')),
        progress REAL,
        progress_message TEXT,
        progress_detail TEXT,
        eta_seconds REAL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        elapsed_ms INTEGER NOT NULL DEFAULT 0,
        attempt_started_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        result TEXT,
        checkpoint TEXT
      );
      CREATE INDEX jobs_state ON jobs(state);
      CREATE TABLE job_logs (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Lists and events carry bounded summaries of params and results (main/jobs/jsonSummary):
    // kept beside the full JSON so listing never parses a multi-megabyte params column.
    version: 2,
    name: 'job summaries',
    sql: `
      ALTER TABLE jobs ADD COLUMN params_summary TEXT;
      ALTER TABLE jobs ADD COLUMN result_summary TEXT;
    `,
  },
  {
    // What a job's model sessions actually ran on (cpu, webgpu, cuda), reported by its worker.
    version: 3,
    name: 'job execution provider',
    sql: 'ALTER TABLE jobs ADD COLUMN execution_provider TEXT;',
  },
  {
    // The engine's node placement: the largest share of a GPU session's nodes ORT ran on the CPU.
    version: 200,
    name: 'job cpu fallback share',
    sql: 'ALTER TABLE jobs ADD COLUMN cpu_fallback_pct REAL;',
  },
  {
    version: 150,
    name: 'library catalog',
    sql: `
      CREATE TABLE library_roots (
        path TEXT PRIMARY KEY,
        added_at INTEGER NOT NULL
      );
      CREATE TABLE library_items (
        id TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        item TEXT NOT NULL
      );
      CREATE INDEX library_items_origin ON library_items(origin);
      CREATE TABLE library_scans (
        origin TEXT PRIMARY KEY,
        location TEXT NOT NULL,
        scanned_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 151,
    name: 'SAE-to-model links made by hand',
    sql: `
      CREATE TABLE library_sae_links (
        sae_path TEXT PRIMARY KEY,
        model_path TEXT NOT NULL,
        linked_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 300,
    name: 'feature index registry',
    sql: `
      CREATE TABLE feature_indexes (
        id TEXT PRIMARY KEY,
        job_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('building', 'ready', 'failed')),
        model_path TEXT NOT NULL,
        sae_path TEXT NOT NULL,
        dataset_path TEXT NOT NULL,
        hook_name TEXT NOT NULL,
        d_sae INTEGER NOT NULL,
        corpus_id TEXT NOT NULL,
        labels TEXT NOT NULL,
        params TEXT NOT NULL,
        provenance TEXT NOT NULL,
        summary TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX feature_indexes_sae ON feature_indexes(sae_path);
    `,
  },
  {
    version: 301,
    name: 'feature index row checksums',
    // CRC-32 of each registry row (indexRegistry.ts), so a damaged row is an error, not other paths or counts.
    sql: 'ALTER TABLE feature_indexes ADD COLUMN crc INTEGER;',
  },
  {
    version: 320,
    name: 'feature labels and notes',
    // Keyed by the SAE's content (sha256 of its weights file), not its folder: main/labels/saeContentKey.ts says why.
    // sae_weight_digests caches that hash per file identity so a large SAE is hashed once, not per request.
    sql: `
      CREATE TABLE feature_labels (
        sae_key TEXT NOT NULL,
        feature INTEGER NOT NULL,
        label TEXT,
        note TEXT,
        source TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (sae_key, feature)
      );
      CREATE TABLE sae_weight_digests (
        file TEXT PRIMARY KEY,
        dev INTEGER NOT NULL,
        ino INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        sha256 TEXT NOT NULL
      );
    `,
  },
  {
    version: 500,
    name: 'saved token conditions',
    sql: `
      CREATE TABLE saved_conditions (
        name TEXT PRIMARY KEY,
        spec TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
      );
      INSERT INTO saved_conditions (name, spec, description, created_at)
        VALUES ('step-onset', 'token-regex:^Step$', 'The "Step" token that opens each step of a procedure (the demo''s planted trigger).', 0);
    `,
  },
  {
    // Execution targets (main/cluster/): Slurm profiles, and per job where it runs and where it
    // stands on its cluster. Only ALTERs jobs (migration 1), so it applies in any order after it.
    version: 600,
    name: 'cluster profiles and job targets',
    sql: `
      CREATE TABLE cluster_profiles (
        name TEXT PRIMARY KEY,
        profile TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      ALTER TABLE jobs ADD COLUMN target TEXT;
      ALTER TABLE jobs ADD COLUMN remote TEXT;
    `,
  },
];
