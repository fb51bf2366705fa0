//! A real headless Chromium, driven through chromedriver (WebDriver) with thirtyfour, for the
//! console's browser tests. A missing browser or driver fails the test with how to install
//! them; it never skips. Screenshots go to `target/console-screenshots/` in the workspace.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use thirtyfour::{By, ChromiumLikeCapabilities, DesiredCapabilities, WebDriver, WebElement};
use tokio::process::{Child, Command};

use crate::process::api::http_client;
use crate::process::binary::workspace_root;

/// What to do when the browser or its driver is missing.
const INSTALL: &str = "the console's browser tests drive a real headless Chromium: install it and \
its driver with `apt-get install chromium chromium-driver` (Debian; `.ci/run` does this when \
they are missing), or put `chromedriver` and `chromium` (or `google-chrome`) on PATH";

/// How long a page or an expected change may take.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Where the screenshots go: `<workspace>/target/console-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target").join("console-screenshots")
}

/// A browser session on one orderbridge process.
#[derive(Debug)]
pub struct Browser {
    driver: Option<WebDriver>,
    chromedriver: Child,
    base_url: String,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium through it, at `base_url`.
    pub async fn start(base_url: &str) -> Self {
        let driver_bin = on_path(&["chromedriver"])
            .unwrap_or_else(|| panic!("no chromedriver on PATH: {INSTALL}"));
        let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"])
            .unwrap_or_else(|| panic!("no Chromium on PATH: {INSTALL}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port for chromedriver")
            .port();
        let mut command = Command::new(&driver_bin);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // Its own process group, so that dropping it takes the browser with it.
        command.process_group(0);
        let chromedriver = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}; {INSTALL}", driver_bin.display()));
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = http_client();
        let ready = crate::process::eventually(PATIENCE, async || {
            http.get(format!("{driver_url}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        assert!(
            ready,
            "chromedriver did not answer on {driver_url} within {PATIENCE:?}"
        );
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium.to_string_lossy())
            .expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1360,900",
            "--hide-scrollbars",
        ] {
            caps.add_arg(arg).expect("a Chromium argument");
        }
        let driver = WebDriver::new(&driver_url, caps).await.unwrap_or_else(|e| {
            panic!("could not start Chromium through chromedriver: {e}; {INSTALL}")
        });
        Self {
            driver: Some(driver),
            chromedriver,
            base_url: base_url.to_owned(),
        }
    }

    fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("the browser is running")
    }

    /// Opens `path` (under the service).
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base_url);
        self.driver()
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The current page's path (and query).
    pub async fn path(&self) -> String {
        let url = self.driver().current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element at `css`, waited for.
    pub async fn find(&self, css: &str) -> WebElement {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match self.driver().find(By::Css(css)).await {
                Ok(element) => return element,
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    panic!(
                        "no {css} on {}: {e}\n{}",
                        self.path().await,
                        self.text("body").await
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Whether an element matches `css` now.
    pub async fn has(&self, css: &str) -> bool {
        self.driver()
            .find_all(By::Css(css))
            .await
            .is_ok_and(|found| !found.is_empty())
    }

    /// Clicks the link or button at `css` and waits until the page it leads to has loaded
    /// (every click in these tests goes to a new page: links, and forms posted).
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.eval("window.__before_click = true; return null;")
            .await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let state = self
                .driver()
                .execute(
                    "return window.__before_click === undefined && document.readyState === 'complete';",
                    Vec::new(),
                )
                .await
                .map(|r| r.json().clone());
            if state.is_ok_and(|v| v == serde_json::Value::Bool(true)) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "clicking {css} on {} led to no new page",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` into the field at `css`, emptied first.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clearing a field");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// The visible text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        match self.driver().find(By::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.driver()
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("running {script:?}: {e}"))
            .json()
            .clone()
    }

    /// Reloads the page until `css` holds `expected` in its text, at most [`PATIENCE`].
    pub async fn reload_until(&self, css: &str, expected: &str) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if self.text(css).await.contains(expected) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            self.driver().refresh().await.expect("reloading");
        }
    }

    /// Writes a screenshot of the page as `<name>.png` under [`screenshot_dir`].
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating the screenshot directory");
        let path = dir.join(format!("{name}.png"));
        self.driver()
            .screenshot(Path::new(&path))
            .await
            .unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
        path
    }

    /// The value of the console's session cookie, as the browser holds it.
    pub async fn session_cookie(&self) -> Option<String> {
        self.driver()
            .get_all_cookies()
            .await
            .expect("the browser's cookies")
            .into_iter()
            .find(|c| c.name == "ob_console")
            .map(|c| c.value)
    }

    /// Signs in with `key` from the sign-in form.
    pub async fn sign_in(&self, key: &str) {
        self.goto("/console/sign-in").await;
        self.type_into("#key", key).await;
        self.click("#sign-in").await;
    }

    /// Ends the browser and its driver.
    pub async fn quit(mut self) {
        if let Some(driver) = self.driver.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
        }
        self.kill_group();
    }

    /// Kills chromedriver's process group (it and the browser it started).
    fn kill_group(&mut self) {
        if let Some(pid) = self.chromedriver.id() {
            // `-s KILL --` first: without `--`, procps' kill reads `-<pid>` as an option and
            // signals far more than this group.
            let _ = std::process::Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed test leaves no browser behind.
        self.kill_group();
    }
}
