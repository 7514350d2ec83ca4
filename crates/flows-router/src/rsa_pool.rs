//! The RSA step's own threads: one per core by default, taking decryptions from one queue.
//!
//! Every request costs one RSA-2048 private-key operation, about a millisecond of CPU. Run on the
//! async runtime's threads it would stall every other connection served by that thread. Handed to
//! `spawn_blocking` behind a semaphore, a core sits idle between two operations while the next
//! waiting request is woken, scheduled and hands its work over (three thread hand-offs, each delayed
//! further when the I/O threads are busy). These threads instead go from one queued decryption
//! straight to the next; each request awaits only its own result.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads, started on first use, stopped when the pool is dropped.
pub(crate) struct RsaPool {
    threads: usize,
    queue: OnceLock<Option<Sender<Job>>>,
}

impl RsaPool {
    pub(crate) fn new(threads: usize) -> Self {
        Self {
            threads: threads.max(1),
            queue: OnceLock::new(),
        }
    }

    /// Runs `work` on a pool thread. `None` if no thread could be started or `work` panicked.
    /// If the caller stops waiting before its turn comes, `work` is skipped.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (result, receiver) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if !result.is_closed() {
                let _ = result.send(work());
            }
        });
        self.queue
            .get_or_init(|| self.start())
            .as_ref()?
            .send(job)
            .ok()?;
        receiver.await.ok()
    }

    fn start(&self) -> Option<Sender<Job>> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for i in 0..self.threads {
            let receiver = Arc::clone(&receiver);
            match std::thread::Builder::new()
                .name(format!("flows-rsa-{i}"))
                .spawn(move || work(&receiver))
            {
                Ok(_) => started += 1,
                Err(error) => tracing::error!(%error, "cannot start an RSA thread"),
            }
        }
        (started > 0).then_some(sender)
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let Ok(receiver) = queue.lock() else { return };
            receiver.recv()
        };
        // The endpoint is gone: its sender was dropped.
        let Ok(job) = job else { return };
        // A panicking job drops its result sender, so its request is answered 500; the thread goes on.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::RsaPool;

    #[tokio::test]
    async fn runs_work_and_survives_a_panicking_job() {
        let pool = RsaPool::new(1);
        assert_eq!(pool.run(|| 6 * 7).await, Some(42));
        assert_eq!(pool.run(|| -> u8 { panic!("boom") }).await, None);
        let results: Vec<_> = futures_join(&pool).await;
        assert_eq!(results, [Some(1), Some(2), Some(3)]);
    }

    async fn futures_join(pool: &RsaPool) -> Vec<Option<i32>> {
        let (a, b, c) = tokio::join!(pool.run(|| 1), pool.run(|| 2), pool.run(|| 3));
        vec![a, b, c]
    }
}
