//! The RSA step's own threads: one per core by default, taking decryptions from one bounded queue.
//!
//! Every request costs one RSA-2048 private-key operation, about a millisecond of CPU. Run on the
//! async runtime's threads it would stall every other connection served by that thread. Handed to
//! `spawn_blocking` behind a semaphore, a core sits idle between two operations while the next
//! waiting request is woken, scheduled and hands its work over (three thread hand-offs, each delayed
//! further when the I/O threads are busy). These threads instead go from one queued decryption
//! straight to the next; each request awaits only its own result.
//!
//! The queue is bounded in time, not length: a job that cannot start within the queue timeout is
//! refused. On arrival, from the jobs ahead of it and the pool's measured pace, so under a flood the
//! excess is refused at once, without RSA; and again when a thread picks it up, should the estimate
//! have been wrong (a burst of slow jobs), so no job starts late.
//!
//! The pace is the slower of two running averages (EWMAs), each thread's first job left out (it
//! pays first-use costs): one job's run time shared by the threads,
//! and the time between two jobs finishing while others wait. They agree on an idle machine. Under a
//! flood the RSA threads share the cores with the I/O threads reading and refusing the excess, so
//! jobs finish further apart than their run time says, and only the second average sees it; an
//! estimate from the first alone admits jobs that then wait past the timeout and are refused late,
//! having held their memory for the whole wait.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A job gets the time it waited in the queue and says whether it ran.
type Job = Box<dyn FnOnce(Duration) -> bool + Send>;

/// Why [`RsaPool::run`] returned no result.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunError {
    /// The job could not have started (or did not start) within the queue timeout.
    Overloaded,
    /// No thread could be started, or the job panicked.
    Failed,
}

/// The pool's gauges, shared with [`crate::Metrics`] for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct RsaGauges {
    /// Jobs admitted and not yet picked up by a thread.
    pub(crate) queued: AtomicUsize,
    /// Threads running a job now.
    pub(crate) busy: AtomicUsize,
}

/// How long a job arriving now would wait for a thread: none while a thread is free; then one
/// job's time shared by the threads for each job ahead of it beyond the threads' count, plus the
/// remainder of the jobs running (half a job per thread on average, counted as a whole job over the
/// threads here, so the estimate errs on the side of refusing).
#[cfg(test)]
fn estimated_wait(ahead: usize, threads: usize, op: Duration) -> Duration {
    estimated_wait_paced(ahead, threads, op, Duration::ZERO)
}

/// [`estimated_wait`], with `interval` the measured time between two jobs finishing while the pool
/// is backlogged (zero: not measured): each job ahead beyond the threads' count costs the larger of
/// `op / threads` and `interval`.
fn estimated_wait_paced(
    ahead: usize,
    threads: usize,
    op: Duration,
    interval: Duration,
) -> Duration {
    let threads = threads.max(1);
    if ahead < threads {
        return Duration::ZERO;
    }
    let rounds = (ahead - threads + 1) as u128;
    let per_job = (op.as_nanos() / threads as u128).max(interval.as_nanos());
    let nanos = per_job.saturating_mul(rounds);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The next EWMA of the job time: an eighth of the new sample, so one slow job moves it little and a
/// change of load shows within a few dozen jobs. Zero means no sample yet.
fn next_average(average_ns: u64, sample: Duration) -> u64 {
    let sample = u64::try_from(sample.as_nanos()).unwrap_or(u64::MAX);
    if average_ns == 0 {
        sample.max(1)
    } else {
        (average_ns - average_ns / 8)
            .saturating_add(sample / 8)
            .max(1)
    }
}

struct Shared {
    gauges: Arc<RsaGauges>,
    /// EWMA of one job's run time, in nanoseconds; 0 until the first job ran.
    average_ns: AtomicU64,
    /// EWMA of the time between two jobs finishing while jobs were waiting, in nanoseconds; 0 until
    /// measured.
    interval_ns: AtomicU64,
    /// When the last job finished, in nanoseconds since `epoch`; 0 before the first.
    last_done_ns: AtomicU64,
    /// Whether jobs were waiting when the last job finished (so a thread went straight on).
    backlogged: AtomicBool,
    epoch: Instant,
}

/// A fixed set of threads, started on first use, stopped when the pool is dropped.
pub(crate) struct RsaPool {
    threads: usize,
    timeout: Duration,
    shared: Arc<Shared>,
    queue: OnceLock<Option<Sender<(Instant, Job)>>>,
}

impl RsaPool {
    pub(crate) fn new(threads: usize, timeout: Duration, gauges: Arc<RsaGauges>) -> Self {
        Self {
            threads: threads.max(1),
            timeout,
            shared: Arc::new(Shared {
                gauges,
                average_ns: AtomicU64::new(0),
                interval_ns: AtomicU64::new(0),
                last_done_ns: AtomicU64::new(0),
                backlogged: AtomicBool::new(false),
                epoch: Instant::now(),
            }),
            queue: OnceLock::new(),
        }
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The estimated wait of a job arriving now.
    fn wait_now(&self) -> Duration {
        let gauges = &self.shared.gauges;
        let ahead = gauges.queued.load(Ordering::Relaxed) + gauges.busy.load(Ordering::Relaxed);
        let op = Duration::from_nanos(self.shared.average_ns.load(Ordering::Relaxed));
        let interval = Duration::from_nanos(self.shared.interval_ns.load(Ordering::Relaxed));
        estimated_wait_paced(ahead, self.threads, op, interval)
    }

    /// Runs `work` on a pool thread, unless it could not start within the queue timeout. If the
    /// caller stops waiting before its turn comes, `work` is skipped.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, RunError> {
        let receiver = self.submit(work)?;
        match receiver.await {
            Ok(Some(result)) => Ok(result),
            Ok(None) => Err(RunError::Overloaded),
            Err(_) => Err(RunError::Failed),
        }
    }

    /// Admits `work` to the queue, or refuses it at once when its estimated wait is over the timeout.
    /// The receiver gets `Some(result)`, `None` if the job was skipped for waiting too long, or an
    /// error if it panicked.
    fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<Option<T>>, RunError> {
        // Admitted only while the estimate is within three fifths of the timeout: under a flood the
        // queue sits at the admission limit, and with no margin every wait longer than estimated
        // would be refused late, after holding its memory for the whole timeout. At four fifths,
        // the pace's swings under a flood twice the capacity (on 2 cores) still refused over 1% of
        // the excess late (503 p99 50-270 ms against 29-35 ms at three fifths, peak RSS 5 MB higher,
        // the same goodput within the runs' noise: examples/hyper-server/load/overload.sh).
        if self.wait_now() > self.timeout / 5 * 3 {
            return Err(RunError::Overloaded);
        }
        let timeout = self.timeout;
        let (result, receiver) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |waited| {
            if result.is_closed() {
                return false;
            }
            if waited > timeout {
                let _ = result.send(None);
                return false;
            }
            let _ = result.send(Some(work()));
            true
        });
        let queue = self
            .queue
            .get_or_init(|| self.start())
            .as_ref()
            .ok_or(RunError::Failed)?;
        self.shared.gauges.queued.fetch_add(1, Ordering::Relaxed);
        if queue.send((Instant::now(), job)).is_err() {
            self.shared.gauges.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(RunError::Failed);
        }
        Ok(receiver)
    }

    fn start(&self) -> Option<Sender<(Instant, Job)>> {
        let (sender, receiver) = channel::<(Instant, Job)>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for i in 0..self.threads {
            let receiver = Arc::clone(&receiver);
            let shared = Arc::clone(&self.shared);
            match std::thread::Builder::new()
                .name(format!("flows-rsa-{i}"))
                .spawn(move || work(&receiver, &shared))
            {
                Ok(_) => started += 1,
                Err(error) => tracing::error!(%error, "cannot start an RSA thread"),
            }
        }
        (started > 0).then_some(sender)
    }
}

fn work(queue: &Mutex<Receiver<(Instant, Job)>>, shared: &Shared) {
    // A thread's first job also pays for whatever is set up on first use (per-thread random
    // generator state, cold caches, tables a key builds lazily): not a sample of the pace. Counted,
    // one slow start would make the estimate refuse the burst arriving with it.
    let mut warmed_up = false;
    loop {
        let job = {
            let Ok(receiver) = queue.lock() else { return };
            receiver.recv()
        };
        // The endpoint is gone: its sender was dropped.
        let Ok((queued_at, job)) = job else { return };
        let gauges = &shared.gauges;
        gauges.busy.fetch_add(1, Ordering::Relaxed);
        gauges.queued.fetch_sub(1, Ordering::Relaxed);
        let started = Instant::now();
        // A panicking job drops its result sender, so its request is answered 500; the thread goes on.
        let ran = catch_unwind(AssertUnwindSafe(|| {
            job(started.saturating_duration_since(queued_at))
        }));
        if ran.unwrap_or(true) && std::mem::replace(&mut warmed_up, true) {
            let average = shared.average_ns.load(Ordering::Relaxed);
            shared
                .average_ns
                .store(next_average(average, started.elapsed()), Ordering::Relaxed);
            let now = u64::try_from(shared.epoch.elapsed().as_nanos())
                .unwrap_or(u64::MAX)
                .max(1);
            let previous = shared.last_done_ns.swap(now, Ordering::Relaxed);
            let waiting = gauges.queued.load(Ordering::Relaxed) > 0;
            let was_waiting = shared.backlogged.swap(waiting, Ordering::Relaxed);
            // Only the gap after a finish that left jobs waiting measures the pool's pace (a thread
            // went straight on); any other gap also holds idle time, i.e. measures the arrivals.
            // Capped at a few job times, so one long preemption does not refuse a burst.
            if previous != 0 && was_waiting {
                let cap = shared.average_ns.load(Ordering::Relaxed).saturating_mul(4);
                let gap = now.saturating_sub(previous).min(cap);
                let interval = shared.interval_ns.load(Ordering::Relaxed);
                shared.interval_ns.store(
                    next_average(interval, Duration::from_nanos(gap)),
                    Ordering::Relaxed,
                );
            }
        }
        gauges.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn pool(threads: usize, timeout: Duration) -> RsaPool {
        RsaPool::new(threads, timeout, Arc::default())
    }

    #[tokio::test]
    async fn runs_work_and_survives_a_panicking_job() {
        let pool = pool(1, Duration::from_secs(60));
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
        assert_eq!(
            pool.run(|| -> u8 { panic!("boom") }).await,
            Err(RunError::Failed)
        );
        let (a, b, c) = tokio::join!(pool.run(|| 1), pool.run(|| 2), pool.run(|| 3));
        assert_eq!([a, b, c], [Ok(1), Ok(2), Ok(3)]);
    }

    #[test]
    fn no_wait_while_a_thread_is_free() {
        assert_eq!(estimated_wait(0, 2, 10 * MS), Duration::ZERO);
        assert_eq!(estimated_wait(1, 2, 10 * MS), Duration::ZERO);
        assert_eq!(estimated_wait(5, 8, 10 * MS), Duration::ZERO);
    }

    #[test]
    fn the_wait_grows_with_the_jobs_ahead_shared_by_the_threads() {
        // One thread busy, four queued: five jobs to finish before this one starts.
        assert_eq!(estimated_wait(5, 1, 10 * MS), 50 * MS);
        // Two threads share them.
        assert_eq!(estimated_wait(2, 2, 10 * MS), 5 * MS);
        assert_eq!(estimated_wait(6, 2, 10 * MS), 25 * MS);
        // No sample yet: nothing known to wait for.
        assert_eq!(estimated_wait(100, 2, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_pool_slower_than_its_job_time_is_paced_by_its_finishing_interval() {
        // Jobs run 10 ms on each of two threads, but finish 8 ms apart (the cores are shared):
        // 8 ms per job ahead, not 5.
        assert_eq!(estimated_wait_paced(6, 2, 10 * MS, 8 * MS), 40 * MS);
        // Finishing faster than op / threads never lowers the estimate.
        assert_eq!(estimated_wait_paced(6, 2, 10 * MS, MS), 25 * MS);
        // Not measured yet: the job time alone.
        assert_eq!(estimated_wait_paced(6, 2, 10 * MS, Duration::ZERO), 25 * MS);
        assert_eq!(estimated_wait_paced(1, 2, 10 * MS, 8 * MS), Duration::ZERO);
    }

    #[tokio::test]
    async fn the_measured_interval_refuses_what_the_job_time_alone_would_admit() {
        let pool = pool(1, 50 * MS);
        pool.shared.average_ns.store(5_000_000, Ordering::Relaxed);
        let (release, blocker) = occupy(&pool).await;
        let admitted: Vec<_> = (0..5).map(|i| pool.submit(move || i).unwrap()).collect();
        // Six jobs ahead at 5 ms each fit the admission limit (three fifths of 50 ms)...
        assert_eq!(pool.wait_now(), 30 * MS);
        // ...but the pool has been finishing one every 10 ms: 60 ms.
        pool.shared.interval_ns.store(10_000_000, Ordering::Relaxed);
        assert_eq!(pool.submit(|| 99).err(), Some(RunError::Overloaded));
        drop(release);
        blocker.await;
        drop(admitted);
    }

    #[tokio::test]
    async fn a_slow_first_job_does_not_make_the_pool_refuse_what_follows() {
        // Admission stops at 60 ms.
        let pool = pool(1, 100 * MS);
        // The thread's first job takes 90 ms (first-use costs)...
        pool.run(|| std::thread::sleep(90 * MS)).await.unwrap();
        assert_eq!(pool.shared.average_ns.load(Ordering::Relaxed), 0);
        // ...so with one job running and one queued, counting it would estimate 180 ms and refuse.
        let (release, blocker) = occupy(&pool).await;
        let queued = pool.submit(|| 1).unwrap();
        assert!(pool.submit(|| 2).is_ok());
        drop(release);
        blocker.await;
        assert_eq!(queued.await.unwrap(), Some(1));
        // From the second job on, jobs are measured.
        assert!(pool.shared.average_ns.load(Ordering::Relaxed) > 0);
    }

    #[test]
    fn the_average_starts_at_the_first_sample_and_moves_by_an_eighth() {
        assert_eq!(next_average(0, 8 * MS), 8_000_000);
        assert_eq!(next_average(8_000_000, 16 * MS), 9_000_000);
        assert_eq!(next_average(8_000_000, Duration::ZERO), 7_000_000);
    }

    /// Occupies the pool's only thread until the returned sender is dropped or sent to.
    async fn occupy(pool: &RsaPool) -> (Sender<()>, impl Future<Output = ()> + use<>) {
        let (release, blocked) = channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let done = pool
            .submit(move || {
                let _ = started.send(());
                let _ = blocked.recv();
            })
            .unwrap();
        running.await.unwrap();
        (release, async move {
            done.await.unwrap().unwrap();
        })
    }

    #[tokio::test]
    async fn admits_while_the_estimated_wait_fits_the_timeout_and_refuses_the_rest_at_once() {
        // Admission stops at three fifths of the timeout: 60 ms.
        let pool = pool(1, 100 * MS);
        // A logical clock: the measured job time is set, not timed.
        pool.shared.average_ns.store(10_000_000, Ordering::Relaxed);
        let (release, blocker) = occupy(&pool).await;
        let admitted: Vec<_> = (0..6).map(|i| pool.submit(move || i).unwrap()).collect();
        assert_eq!(pool.shared.gauges.queued.load(Ordering::Relaxed), 6);
        assert_eq!(pool.shared.gauges.busy.load(Ordering::Relaxed), 1);
        // Seven jobs ahead at 10 ms each: 70 ms > 60 ms.
        assert_eq!(pool.submit(|| 99).err(), Some(RunError::Overloaded));
        drop(release);
        blocker.await;
        drop(admitted);
    }

    #[tokio::test]
    async fn a_job_that_waited_past_the_timeout_is_skipped() {
        // The blocker itself must not be skipped: the pool's thread starts on first use, which can
        // take longer than 1 ms on a busy machine.
        let mut pool = pool(1, Duration::from_secs(60));
        let (release, blocker) = occupy(&pool).await;
        pool.set_timeout(MS);
        // Nothing measured yet, so admitted on arrival; then it waits far past 1 ms.
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&ran);
        let late = pool
            .submit(move || counter.fetch_add(1, Ordering::Relaxed))
            .unwrap();
        tokio::time::sleep(50 * MS).await;
        release.send(()).unwrap();
        blocker.await;
        assert_eq!(late.await.unwrap(), None);
        assert_eq!(ran.load(Ordering::Relaxed), 0);
    }
}
