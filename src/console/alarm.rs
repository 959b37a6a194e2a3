//! The audible alert for warning suggestions. egui has no audio, and a duty desk may have no
//! sound at all, so the banner is the alert and the sound its echo: a short two-tone chime,
//! generated here as a WAV file in the temporary directory once, played by the desktop's
//! player (`paplay`, `pw-play` or `aplay`, the first that starts) as a child process, so the UI
//! never waits on it. Without a player the desk stays visual, and says so once in the log.
//! What tests can check: the chime's bytes, and that a new alert asks for a ring; not that a
//! speaker made a sound.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Sample rate of the chime.
const RATE: u32 = 16_000;

/// The players tried, in order.
const PLAYERS: [&str; 3] = ["paplay", "pw-play", "aplay"];

/// Plays the chime when the desk's alert count grows.
#[derive(Debug)]
pub struct Alarm {
    /// The alert count last followed.
    heard: u64,
    /// How many rings were asked for (tests read it).
    rings: u64,
    /// Off: count only (tests, a desk configured silent).
    audible: bool,
    /// The chime playing, if any; killed when the alarm is dropped.
    playing: Option<Child>,
    /// The player tried next (past the end: none works, stop trying).
    player: usize,
}

impl Alarm {
    /// An alarm that plays the chime.
    pub fn audible() -> Self {
        let mut alarm = Self::silent();
        alarm.audible = true;
        alarm
    }

    /// An alarm that only counts rings.
    pub fn silent() -> Self {
        Self {
            heard: 0,
            rings: 0,
            audible: false,
            playing: None,
            player: 0,
        }
    }

    /// How many rings were asked for.
    pub fn rings(&self) -> u64 {
        self.rings
    }

    /// Rings once if `alerts` grew since the last call.
    pub fn follow(&mut self, alerts: u64) {
        if alerts <= self.heard {
            return;
        }
        self.heard = alerts;
        self.rings += 1;
        if self.audible {
            self.ring();
        }
    }

    fn ring(&mut self) {
        if let Some(child) = self.playing.as_mut() {
            match child.try_wait() {
                Ok(None) => return, // still chiming
                // A player that ran but failed (no sound server): try the next one.
                Ok(Some(status)) if !status.success() => self.player += 1,
                _ => {}
            }
        }
        if self.player >= PLAYERS.len() {
            return;
        }
        let path = match chime_file() {
            Ok(path) => path,
            Err(e) => {
                tracing::warn!("alert chime not written, the alert stays visual: {e:#}");
                self.player = PLAYERS.len();
                return;
            }
        };
        self.playing = None;
        while self.playing.is_none() && self.player < PLAYERS.len() {
            self.playing = Command::new(PLAYERS[self.player])
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok();
            if self.playing.is_none() {
                self.player += 1;
            }
        }
        if self.playing.is_none() {
            tracing::warn!(
                "no sound player ({}) works here: the suggestion alert stays visual",
                PLAYERS.join(", ")
            );
        }
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        if let Some(child) = self.playing.as_mut() {
            // Already ended, most likely; a chime cut short at exit is no loss.
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.audible {
            // Only ours: the name carries this process's id.
            let _ = std::fs::remove_file(chime_path());
        }
    }
}

/// Where this process keeps its chime.
fn chime_path() -> PathBuf {
    std::env::temp_dir().join(format!("wxdesk-alert-{}.wav", std::process::id()))
}

/// Writes the chime to the temporary directory (once per process) and returns its path.
fn chime_file() -> std::io::Result<PathBuf> {
    let path = chime_path();
    if !path.exists() {
        std::fs::write(&path, chime_wav())?;
    }
    Ok(path)
}

/// The chime: two rising tones, twice, as 16-bit mono PCM WAV.
pub fn chime_wav() -> Vec<u8> {
    let mut samples: Vec<i16> = Vec::new();
    for _ in 0..2 {
        tone(&mut samples, 880.0, 0.18);
        tone(&mut samples, 1320.0, 0.28);
        silence(&mut samples, 0.15);
    }
    wav(&samples)
}

fn tone(out: &mut Vec<i16>, hz: f64, seconds: f64) {
    let n = (f64::from(RATE) * seconds) as usize;
    let fade = n / 10;
    for i in 0..n {
        // Fade in and out so the tone starts and stops without a click.
        let edge = i.min(n - 1 - i).min(fade) as f64 / fade.max(1) as f64;
        let phase = std::f64::consts::TAU * hz * i as f64 / f64::from(RATE);
        out.push((phase.sin() * edge * 0.5 * f64::from(i16::MAX)) as i16);
    }
}

fn silence(out: &mut Vec<i16>, seconds: f64) {
    out.extend(std::iter::repeat_n(0, (f64::from(RATE) * seconds) as usize));
}

/// A RIFF/WAVE file of 16-bit mono samples at [`RATE`].
fn wav(samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chime_is_a_well_formed_wav() {
        let bytes = chime_wav();
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(u32_at(4) as usize, bytes.len() - 8);
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(u32_at(24), RATE);
        assert_eq!(&bytes[36..40], b"data");
        assert_eq!(u32_at(40) as usize, bytes.len() - 44);
        let seconds = (bytes.len() - 44) as f64 / f64::from(RATE * 2);
        assert!((1.1..1.3).contains(&seconds), "{seconds} s");
        // Starts silent (faded in), and is loud somewhere.
        assert_eq!(i16::from_le_bytes([bytes[44], bytes[45]]), 0);
        let loudest = bytes[44..]
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]).unsigned_abs())
            .max();
        assert!(loudest > Some(10_000));
    }

    #[test]
    fn rings_once_per_new_alert() {
        let mut alarm = Alarm::silent();
        alarm.follow(0);
        assert_eq!(alarm.rings(), 0);
        alarm.follow(1);
        alarm.follow(1);
        assert_eq!(alarm.rings(), 1);
        alarm.follow(3);
        assert_eq!(alarm.rings(), 2, "two alerts between frames ring once");
    }
}
