//! The one module that owns the terminal: raw mode, the alternate screen and mouse
//! capture go on in [`TerminalGuard::enter`] and come off on every way out: drop (quit,
//! errors), the panic hook, and SIGTERM/SIGHUP/SIGINT, which only set a flag (the
//! signal-safe way) that the event loop checks.

use anyhow::{Context, Result};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::{Stdout, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

pub struct TerminalGuard {
    pub terminal: Term,
    signalled: Arc<AtomicBool>,
}

impl TerminalGuard {
    pub fn enter() -> Result<TerminalGuard> {
        install_panic_hook();
        let signalled = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
            signal_hook::consts::SIGINT,
        ] {
            signal_hook::flag::register(sig, Arc::clone(&signalled))
                .context("installing a signal handler")?;
        }
        enable_raw_mode().context("switching the terminal to raw mode")?;
        let entered = execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)
            .context("entering the alternate screen")
            .and_then(|_| {
                Terminal::new(CrosstermBackend::new(stdout())).context("opening the terminal")
            });
        match entered {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                signalled,
            }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Did SIGTERM, SIGHUP or SIGINT arrive?
    pub fn signalled(&self) -> bool {
        self.signalled.load(Ordering::Relaxed)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back as it was. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show);
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A worker thread's panic is caught and shown in the UI (runtime::guarded);
            // a panic anywhere else ends the program: put the terminal back first.
            if std::thread::current().name() == Some(super::runtime::WORKER) {
                return;
            }
            restore();
            previous(info);
        }));
    });
}
