//! Driving load: a closed loop (a fixed number of workers, each sending its next request when
//! the last one is answered) and an open loop (requests started at a fixed rate whatever the
//! answers do), with the latency of every request kept for percentiles.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What one run of requests did.
#[derive(Debug, Clone)]
pub struct Run {
    /// Requests answered as expected.
    pub count: usize,
    /// Requests the service turned away as overloaded (open loops only; not in `count` nor
    /// in the latencies).
    pub shed: usize,
    /// From the first request sent to the last answer.
    pub elapsed: Duration,
    /// Every request's latency, sorted.
    pub latencies: Latencies,
}

impl Run {
    /// Several runs of the same work as one: counts and times added, latencies pooled.
    pub fn merge(runs: Vec<Run>) -> Self {
        let mut count = 0;
        let mut shed = 0;
        let mut elapsed = Duration::ZERO;
        let mut micros = Vec::new();
        for run in runs {
            count += run.count;
            shed += run.shed;
            elapsed += run.elapsed;
            micros.extend(run.latencies.0);
        }
        Self {
            count,
            shed,
            elapsed,
            latencies: Latencies::new(micros),
        }
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        per_second(self.count, self.elapsed)
    }
}

/// `count` over `elapsed`, per second.
pub fn per_second(count: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// Latencies in microseconds, sorted.
#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    fn new(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        Self(micros)
    }

    /// Latencies measured elsewhere, in microseconds.
    pub fn from_micros(micros: Vec<u64>) -> Self {
        Self::new(micros)
    }

    /// The `p`-th percentile (0 to 100) in milliseconds, nearest rank; 0 when empty.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.0.len()) - 1;
        self.0.get(index).copied().unwrap_or_default() as f64 / 1_000.0
    }

    /// The largest latency in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.0.last().copied().unwrap_or_default() as f64 / 1_000.0
    }
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

/// Runs `job` over every item with `concurrency` workers. Fails with the first error after
/// every worker has stopped (workers stop at the first error they see).
pub async fn closed_loop<T, F, Fut>(items: Vec<T>, concurrency: usize, job: F) -> Result<Run>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    closed_loop_within(items, concurrency, None, job).await
}

/// [`closed_loop`], but no request is started once `limit` has passed since the first: the
/// items left are not run (and not counted).
pub async fn closed_loop_within<T, F, Fut>(
    items: Vec<T>,
    concurrency: usize,
    limit: Option<Duration>,
    job: F,
) -> Result<Run>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let queue = Arc::new(Mutex::new(items.into_iter()));
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let start = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let queue = Arc::clone(&queue);
        let failed = Arc::clone(&failed);
        let job = job.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let late = limit.is_some_and(|limit| start.elapsed() >= limit);
                if late || failed.load(std::sync::atomic::Ordering::Relaxed) {
                    return Ok(latencies);
                }
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some(item) = next else {
                    return Ok(latencies);
                };
                let sent = Instant::now();
                if let Err(error) = job(item).await {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Err(error);
                }
                latencies.push(micros(sent.elapsed()));
            }
        });
    }
    let mut all = Vec::new();
    let mut first_error = None;
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(Ok(latencies)) => all.extend(latencies),
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(error) => {
                first_error.get_or_insert(anyhow!("a load worker failed: {error}"));
            }
        }
    }
    let elapsed = start.elapsed();
    if let Some(error) = first_error {
        return Err(error);
    }
    Ok(Run {
        count: all.len(),
        shed: 0,
        elapsed,
        latencies: Latencies::new(all),
    })
}

/// Starts `job` for each item at `rate` per second (open loop), at most `max_in_flight` at
/// once. A request's latency runs from the moment it was due, so a request that waited for
/// a free slot counts its wait (no coordinated omission).
/// How an open loop's request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// As expected: counted, with its latency.
    Done,
    /// Turned away as overloaded (503): counted apart.
    Shed,
}

pub async fn open_loop<T, F, Fut>(
    items: Vec<T>,
    rate: f64,
    max_in_flight: usize,
    job: F,
) -> Result<Run>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Answer>> + Send + 'static,
{
    if rate <= 0.0 || !rate.is_finite() {
        bail!("an open loop needs a positive rate, not {rate}");
    }
    let slots = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let mut all = Vec::with_capacity(items.len());
    let start = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    for (n, item) in items.into_iter().enumerate() {
        let due = start + Duration::from_secs_f64(n as f64 / rate);
        tokio::time::sleep_until(due).await;
        let slot = Arc::clone(&slots).acquire_owned().await?;
        let job = job.clone();
        tasks.spawn(async move {
            let result = job(item).await;
            drop(slot);
            result.map(|answer| (answer, micros(due.elapsed())))
        });
        // Collect what has finished, so a long run does not hold every handle.
        while let Some(done) = tasks.try_join_next() {
            all.push(done??);
        }
    }
    while let Some(done) = tasks.join_next().await {
        all.push(done??);
    }
    let elapsed = start.elapsed();
    let shed = all.iter().filter(|(a, _)| *a == Answer::Shed).count();
    let stored: Vec<u64> = all
        .into_iter()
        .filter(|(a, _)| *a == Answer::Done)
        .map(|(_, micros)| micros)
        .collect();
    Ok(Run {
        count: stored.len(),
        shed,
        elapsed,
        latencies: Latencies::new(stored),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Answer, Latencies, closed_loop, open_loop, per_second};

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let latencies = Latencies::new((1..=100).rev().map(|ms| ms * 1_000).collect());
        assert!((latencies.percentile_ms(50.0) - 50.0).abs() < f64::EPSILON);
        assert!((latencies.percentile_ms(99.0) - 99.0).abs() < f64::EPSILON);
        assert!((latencies.percentile_ms(100.0) - 100.0).abs() < f64::EPSILON);
        assert!((latencies.max_ms() - 100.0).abs() < f64::EPSILON);
        assert!(Latencies::default().percentile_ms(99.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_rate_is_a_count_per_second() {
        assert!((per_second(500, Duration::from_millis(250)) - 2_000.0).abs() < 1e-9);
        assert!(per_second(5, Duration::ZERO).abs() < f64::EPSILON);
    }

    #[tokio::test]
    async fn a_closed_loop_runs_every_item_once_and_stops_at_an_error() -> anyhow::Result<()> {
        let run = closed_loop((0..100).collect(), 8, |_n: u32| async { Ok(()) }).await?;
        assert_eq!(run.count, 100);
        let failed = closed_loop((0..100).collect(), 4, |n: u32| async move {
            if n == 50 {
                anyhow::bail!("item 50 failed");
            }
            Ok(())
        })
        .await;
        assert!(failed.is_err_and(|e| e.to_string() == "item 50 failed"));
        Ok(())
    }

    #[tokio::test]
    async fn a_closed_loop_with_a_time_limit_leaves_the_rest() -> anyhow::Result<()> {
        let run = super::closed_loop_within(
            (0..1_000).collect(),
            2,
            Some(Duration::from_millis(50)),
            |_n: u32| async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(())
            },
        )
        .await?;
        assert!(run.count > 0 && run.count < 1_000, "{}", run.count);
        Ok(())
    }

    #[tokio::test]
    async fn an_open_loop_keeps_its_pace() -> anyhow::Result<()> {
        let run = open_loop((0..20).collect(), 200.0, 4, |n: u32| async move {
            Ok(if n.is_multiple_of(4) {
                Answer::Shed
            } else {
                Answer::Done
            })
        })
        .await?;
        assert_eq!(
            (run.count, run.shed),
            (15, 5),
            "shed answers are counted apart"
        );
        // 20 requests at 200 per second take about 95 ms.
        assert!(
            run.elapsed >= Duration::from_millis(90),
            "{:?}",
            run.elapsed
        );
        Ok(())
    }
}
