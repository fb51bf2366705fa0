//! Workspace-level end-to-end tests live here; they start the real binary against the sandboxes.
