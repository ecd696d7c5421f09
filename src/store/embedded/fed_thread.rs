//! A thread fed through a channel, whose end is the channel's: closing drops the sender, the
//! thread finishes what it has and returns, and `close` waits for it. The writer (fed jobs) and
//! the indexer (fed nothing, only stopped) are both one.

use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

pub struct FedThread<T> {
    sender: Mutex<Option<mpsc::Sender<T>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<T: Send + 'static> FedThread<T> {
    /// Starts `run` on a thread named `name`, with the receiving end of the channel.
    pub fn spawn(
        name: &str,
        run: impl FnOnce(mpsc::Receiver<T>) + Send + 'static,
    ) -> std::io::Result<FedThread<T>> {
        let (sender, receiver) = mpsc::channel::<T>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(receiver))?;
        Ok(FedThread {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands `item` to the thread; gives it back once the thread is closed or gone.
    pub fn send(&self, item: T) -> Result<(), T> {
        let Ok(guard) = self.sender.lock() else {
            return Err(item);
        };
        match guard.as_ref() {
            Some(sender) => sender.send(item).map_err(|e| e.0),
            None => Err(item),
        }
    }

    /// Closes the channel and waits for the thread to return.
    pub fn close(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_takes_what_is_sent_and_close_waits_for_it_to_finish() {
        let (done, finished) = mpsc::channel::<Vec<u32>>();
        let fed = FedThread::spawn("fed-test", move |items: mpsc::Receiver<u32>| {
            let _ = done.send(items.iter().collect());
        })
        .expect("spawn");
        fed.send(1).expect("open");
        fed.send(2).expect("open");
        fed.close();
        assert_eq!(
            finished.try_recv().expect("finished before close returned"),
            vec![1, 2]
        );
        assert_eq!(fed.send(3), Err(3), "closed: the item comes back");
        fed.close();
    }
}
