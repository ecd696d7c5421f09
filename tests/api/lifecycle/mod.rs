//! The data lifecycle: backup and restore, retention, erasure of one person's data.

mod backup;
