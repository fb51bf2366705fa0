//! Workspace-level tests live in `it/`: the service's parts wired together against the sandbox
//! marketplaces on SQLite and PostgreSQL, and the real `orderbridge` binary as a process.
