//! A PostgreSQL database of its own per test, on the server of `DATABASE_URL` (which
//! `cargo xtask test` sets): created at the start, dropped at the end, and dropped on a failure
//! too (best effort, when the guard is dropped).

use sqlx::{Connection, Executor, PgConnection};

/// A fresh database; dropped with its guard.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
    admin_url: String,
    dropped: bool,
}

fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .expect(
            "DATABASE_URL is not set: these tests need PostgreSQL (run them with `cargo xtask test`, \
             or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres)",
        )
}

async fn execute(admin_url: &str, sql: String) -> Result<(), sqlx::Error> {
    let mut connection = PgConnection::connect(admin_url).await?;
    // The name is made here from a UUID: no input reaches this SQL.
    connection.execute(sqlx::AssertSqlSafe(sql)).await?;
    connection.close().await
}

impl TestDb {
    /// Creates `ob_e2e_<uuid>` on `DATABASE_URL`'s server.
    pub async fn create() -> Self {
        let admin_url = server_url();
        let name = format!("ob_e2e_{}", uuid::Uuid::now_v7().simple());
        execute(&admin_url, format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("creating database {name} on DATABASE_URL: {e}"));
        let mut url = reqwest::Url::parse(&admin_url).expect("DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            name,
            url: url.to_string(),
            admin_url,
            dropped: false,
        }
    }

    /// Its URL, for `DATABASE_URL` of the processes.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops it now (its connections too).
    pub async fn drop_now(mut self) {
        self.dropped = true;
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        execute(&self.admin_url, sql)
            .await
            .unwrap_or_else(|e| panic!("dropping database {}: {e}", self.name));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // A failed test: drop it on a thread of its own, outside the test's runtime.
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(execute(&admin_url, sql)).ok()
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop the test database {name}");
        }
    }
}
