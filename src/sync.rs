//! The poison-tolerant lock idiom, written once.
//!
//! A `std::sync` lock is poisoned when a thread panics while holding it. Every holder in
//! screenpop writes whole values (a map entry, a replaced `Arc`, a counter), so what is inside
//! stays consistent and the right answer is to carry on with it rather than panic in turn.
//! These helpers say so in one place instead of `unwrap_or_else(|p| p.into_inner())` at each
//! call.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `m`, taking over a lock a panicking thread left poisoned.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads `l`, taking over a lock a panicking thread left poisoned.
pub fn read<T: ?Sized>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `l`, taking over a lock a panicking thread left poisoned.
pub fn write<T: ?Sized>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_taken_over_with_its_value() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let held = std::sync::Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let mut g = held.lock().unwrap();
            *g = 2;
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        assert_eq!(*lock(&m), 2);
        let l = RwLock::new(3);
        *write(&l) += 1;
        assert_eq!(*read(&l), 4);
    }
}
