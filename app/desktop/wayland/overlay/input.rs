//! What the palette's surface hears, as iced's events: keys named by the keysym the user's
//! layout gives them (named keys for those a palette uses, else the character), the text a
//! key types, held keys repeated at the compositor's rate, and the pointer in the
//! surface's logical pixels, as winit gives them to the other windows.

use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use iced::keyboard::key::{Named, NativeCode, Physical};
use iced::keyboard::{self, Key, Location, Modifiers};
use iced::{Event, Point, mouse, window};
use wayland_client::WEnum;
use wayland_client::protocol::{wl_keyboard, wl_pointer};
use xkeysym::{Keysym, key};

use super::xkb::{self, Compose, Composed, Keymap};

/// Until the compositor says: a common desktop default.
const REPEAT_DELAY: Duration = Duration::from_millis(600);
const REPEAT_RATE: u32 = 25;
/// The largest keymap read: layouts take some 60 KiB; a compositor's file is not read whole
/// beyond this.
const KEYMAP_CAP: u64 = 4 << 20;

/// The keyboard, while the surface has it.
pub struct Keyboard {
    keymap: Option<Keymap>,
    /// Whose compose table dead keys and the Compose key follow.
    locale: String,
    /// The table, read with the first keymap; `None` until then, or where there is none.
    compose: Option<Compose>,
    modifiers: Modifiers,
    delay: Duration,
    /// Repeats per second; 0: keys do not repeat.
    rate: u32,
    held: Option<Held>,
}

/// A key held down, and when it repeats next.
struct Held {
    key: u32,
    next: Instant,
}

impl Default for Keyboard {
    /// A keyboard that composes as the user's locale says.
    fn default() -> Self {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
            .unwrap_or_else(|| "C".into());
        Self::for_locale(&locale)
    }
}

impl Keyboard {
    /// A keyboard that composes as `locale` says.
    pub fn for_locale(locale: &str) -> Self {
        Self {
            keymap: None,
            locale: locale.into(),
            compose: None,
            modifiers: Modifiers::empty(),
            delay: REPEAT_DELAY,
            rate: REPEAT_RATE,
            held: None,
        }
    }

    /// The compositor's keyboard `event`, at `now`, as iced's events.
    pub fn handle(&mut self, event: wl_keyboard::Event, now: Instant) -> Vec<Event> {
        match event {
            wl_keyboard::Event::Keymap {
                format: WEnum::Value(wl_keyboard::KeymapFormat::XkbV1),
                fd,
                size,
            } => {
                // Read from its start, without moving the file's offset: the compositor may
                // hand every client the same open file.
                let mut text = vec![0; u64::from(size).min(KEYMAP_CAP) as usize];
                let read = std::fs::File::from(fd).read_exact_at(&mut text, 0);
                match read
                    .map_err(|e| e.to_string())
                    .and_then(|_| Keymap::from_text(&text).map_err(|e| e.to_string()))
                {
                    Ok(keymap) => {
                        self.keymap = Some(keymap);
                        if self.compose.is_none() {
                            self.compose = Compose::for_locale(&self.locale);
                        }
                    }
                    Err(error) => tracing::warn!(%error, "the palette cannot read the keymap"),
                }
                Vec::new()
            }
            wl_keyboard::Event::Enter { .. } => vec![Event::Window(window::Event::Focused)],
            wl_keyboard::Event::Leave { .. } => self.left(),
            wl_keyboard::Event::Modifiers {
                mods_depressed,
                mods_latched,
                mods_locked,
                group,
                ..
            } => {
                let Some(keymap) = &mut self.keymap else { return Vec::new() };
                keymap.set_modifiers(mods_depressed, mods_latched, mods_locked, group);
                self.modifiers = modifiers(keymap.modifiers());
                vec![Event::Keyboard(keyboard::Event::ModifiersChanged(self.modifiers))]
            }
            wl_keyboard::Event::Key { key, state: WEnum::Value(state), .. } => {
                let Some(keymap) = &self.keymap else { return Vec::new() };
                let pressed = state == wl_keyboard::KeyState::Pressed;
                if pressed && self.rate > 0 && keymap.repeats(key) {
                    self.held = Some(Held { key, next: now + self.delay });
                } else if self.held.as_ref().is_some_and(|held| held.key == key) {
                    self.held = None;
                }
                let composed = match (&mut self.compose, pressed) {
                    (Some(compose), true) => compose.feed(keymap.keysym(key)),
                    _ => Composed::Not,
                };
                let event = key_event(keymap, key, self.modifiers, pressed, false);
                vec![Event::Keyboard(with_composed(event, composed))]
            }
            wl_keyboard::Event::RepeatInfo { rate, delay } => {
                self.rate = u32::try_from(rate).unwrap_or(0);
                self.delay = Duration::from_millis(u64::try_from(delay).unwrap_or(0));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The keyboard went elsewhere: a key held stops repeating, a sequence begun is
    /// forgotten.
    fn left(&mut self) -> Vec<Event> {
        self.held = None;
        if let Some(compose) = &mut self.compose {
            compose.reset();
        }
        vec![Event::Window(window::Event::Unfocused)]
    }

    /// How long until a held key repeats, if one is held.
    pub fn next_repeat(&self, now: Instant) -> Option<Duration> {
        self.held.as_ref().map(|held| held.next.saturating_duration_since(now))
    }

    /// The repeats of the held key due by `now`. A thread that fell behind repeats once,
    /// not in a burst.
    pub fn repeats(&mut self, now: Instant) -> Vec<Event> {
        let (Some(keymap), Some(held)) = (&self.keymap, &mut self.held) else { return Vec::new() };
        if held.next > now || self.rate == 0 {
            return Vec::new();
        }
        let interval = Duration::from_secs(1) / self.rate;
        held.next = (held.next + interval).max(now);
        vec![Event::Keyboard(key_event(keymap, held.key, self.modifiers, true, true))]
    }
}

/// The key with evdev code `code` pressed or released, as iced tells it.
fn key_event(
    keymap: &Keymap,
    code: u32,
    modifiers: Modifiers,
    pressed: bool,
    repeat: bool,
) -> keyboard::Event {
    let key = key_of(keymap.keysym(code));
    let physical_key = Physical::Unidentified(NativeCode::Xkb(code + 8));
    if !pressed {
        return keyboard::Event::KeyReleased {
            modified_key: key.clone(),
            key,
            physical_key,
            location: Location::Standard,
            modifiers,
        };
    }
    // With Ctrl, Alt or Super held a key is a shortcut, not typing.
    let typing = !(modifiers.control() || modifiers.alt() || modifiers.logo());
    let text = keymap
        .text(code)
        .filter(|text| typing && !text.chars().any(char::is_control))
        .map(Into::into);
    keyboard::Event::KeyPressed {
        modified_key: key.clone(),
        key,
        physical_key,
        location: Location::Standard,
        modifiers,
        text,
        repeat,
    }
}

/// A key pressed as a compose sequence leaves it: it types the sequence's text, or nothing
/// while the sequence goes on.
fn with_composed(mut event: keyboard::Event, composed: Composed) -> keyboard::Event {
    if let keyboard::Event::KeyPressed { text, .. } = &mut event {
        match composed {
            Composed::Not => {}
            Composed::Composing | Composed::Cancelled => *text = None,
            // Typed only where the key would type: not a shortcut.
            Composed::Typed(composed) => {
                if text.is_some() {
                    *text = Some(composed.into());
                }
            }
        }
    }
    event
}

fn modifiers(held: xkb::Modifiers) -> Modifiers {
    let mut modifiers = Modifiers::empty();
    modifiers.set(Modifiers::SHIFT, held.shift);
    modifiers.set(Modifiers::CTRL, held.control);
    modifiers.set(Modifiers::ALT, held.alt);
    modifiers.set(Modifiers::LOGO, held.logo);
    modifiers
}

/// The key a keysym stands for: named for the keys that edit, move and choose, else the
/// character it types.
fn key_of(keysym: u32) -> Key {
    let named = match keysym {
        key::Escape => Named::Escape,
        key::Return | key::KP_Enter => Named::Enter,
        key::Tab | key::ISO_Left_Tab | key::KP_Tab => Named::Tab,
        key::BackSpace => Named::Backspace,
        key::Delete | key::KP_Delete => Named::Delete,
        key::Left | key::KP_Left => Named::ArrowLeft,
        key::Right | key::KP_Right => Named::ArrowRight,
        key::Up | key::KP_Up => Named::ArrowUp,
        key::Down | key::KP_Down => Named::ArrowDown,
        key::Home | key::KP_Home => Named::Home,
        key::End | key::KP_End => Named::End,
        key::Page_Up | key::KP_Page_Up => Named::PageUp,
        key::Page_Down | key::KP_Page_Down => Named::PageDown,
        key::Insert | key::KP_Insert => Named::Insert,
        key::space | key::KP_Space => Named::Space,
        key::Shift_L | key::Shift_R => Named::Shift,
        key::Control_L | key::Control_R => Named::Control,
        key::Alt_L | key::Alt_R => Named::Alt,
        key::Super_L | key::Super_R => Named::Super,
        other => {
            return match Keysym::new(other).key_char() {
                Some(c) if !c.is_control() => Key::Character(c.to_string().into()),
                _ => Key::Unidentified,
            };
        }
    };
    Key::Named(named)
}

/// The compositor's pointer `event` as iced's events.
pub fn pointer(event: wl_pointer::Event) -> Vec<Event> {
    let moved = |x: f64, y: f64| {
        Event::Mouse(mouse::Event::CursorMoved { position: Point::new(x as f32, y as f32) })
    };
    match event {
        wl_pointer::Event::Enter { surface_x, surface_y, .. } => {
            vec![Event::Mouse(mouse::Event::CursorEntered), moved(surface_x, surface_y)]
        }
        wl_pointer::Event::Leave { .. } => vec![Event::Mouse(mouse::Event::CursorLeft)],
        wl_pointer::Event::Motion { surface_x, surface_y, .. } => vec![moved(surface_x, surface_y)],
        wl_pointer::Event::Button { button, state: WEnum::Value(state), .. } => {
            let Some(button) = button_of(button) else { return Vec::new() };
            vec![Event::Mouse(match state {
                wl_pointer::ButtonState::Pressed => mouse::Event::ButtonPressed(button),
                _ => mouse::Event::ButtonReleased(button),
            })]
        }
        wl_pointer::Event::Axis { axis: WEnum::Value(axis), value, .. } => {
            // Wayland counts down and right as positive; iced, up and left.
            let delta = -value as f32;
            let (x, y) = match axis {
                wl_pointer::Axis::HorizontalScroll => (delta, 0.0),
                _ => (0.0, delta),
            };
            vec![Event::Mouse(mouse::Event::WheelScrolled {
                delta: mouse::ScrollDelta::Pixels { x, y },
            })]
        }
        _ => Vec::new(),
    }
}

/// The mouse button with evdev code `code` (linux/input-event-codes.h).
fn button_of(code: u32) -> Option<mouse::Button> {
    Some(match code {
        0x110 => mouse::Button::Left,
        0x111 => mouse::Button::Right,
        0x112 => mouse::Button::Middle,
        0x113 => mouse::Button::Back,
        0x114 => mouse::Button::Forward,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_a_palette_uses_are_named_and_others_are_their_characters() {
        assert_eq!(key_of(key::Escape), Key::Named(Named::Escape));
        assert_eq!(key_of(key::KP_Enter), Key::Named(Named::Enter));
        assert_eq!(key_of(key::ISO_Left_Tab), Key::Named(Named::Tab));
        assert_eq!(key_of(key::a), Key::Character("a".into()));
        assert_eq!(key_of(key::_1), Key::Character("1".into()));
        assert_eq!(key_of(key::eacute), Key::Character("é".into()));
        assert_eq!(key_of(key::F13), Key::Unidentified);
    }

    /// A keyboard given the virtual keyboard's own small keymap (Shift, Control, V, Left,
    /// Insert), as the compositor gives one: in a file.
    fn keyboard_with_a_keymap() -> Keyboard {
        keyboard_with(crate::desktop::wayland::keyboard::KEYMAP, "C")
    }

    fn keyboard_with(keymap: &str, locale: &str) -> Keyboard {
        use std::io::Write;
        let fd =
            rustix::fs::memfd_create("keymap", rustix::fs::MemfdFlags::CLOEXEC).expect("memfd");
        let mut file = std::fs::File::from(fd);
        file.write_all(keymap.as_bytes()).expect("written");
        file.write_all(&[0]).expect("written");
        let size = keymap.len() as u32 + 1;
        let mut keyboard = Keyboard::for_locale(locale);
        let format = WEnum::Value(wl_keyboard::KeymapFormat::XkbV1);
        keyboard
            .handle(wl_keyboard::Event::Keymap { format, fd: file.into(), size }, Instant::now());
        keyboard
    }

    fn key(code: u32, pressed: bool) -> wl_keyboard::Event {
        let state = match pressed {
            true => wl_keyboard::KeyState::Pressed,
            false => wl_keyboard::KeyState::Released,
        };
        wl_keyboard::Event::Key { serial: 0, time: 0, key: code, state: WEnum::Value(state) }
    }

    fn shift(held: bool) -> wl_keyboard::Event {
        let mods_depressed = if held { 1 } else { 0 };
        wl_keyboard::Event::Modifiers {
            serial: 0,
            mods_depressed,
            mods_latched: 0,
            mods_locked: 0,
            group: 0,
        }
    }

    fn typed(events: &[Event]) -> Vec<(Key, Option<String>, bool)> {
        events
            .iter()
            .filter_map(|event| match event {
                Event::Keyboard(keyboard::Event::KeyPressed { key, text, repeat, .. }) => {
                    Some((key.clone(), text.as_ref().map(|t| t.to_string()), *repeat))
                }
                _ => None,
            })
            .collect()
    }

    const V: u32 = 47;

    #[test]
    fn the_layout_says_what_a_key_types_with_shift_and_what_it_is_with_control() {
        let mut keyboard = keyboard_with_a_keymap();
        let now = Instant::now();
        let plain = keyboard.handle(key(V, true), now);
        assert_eq!(typed(&plain), vec![(Key::Character("v".into()), Some("v".into()), false)]);
        keyboard.handle(key(V, false), now);
        keyboard.handle(shift(true), now);
        let shifted = keyboard.handle(key(V, true), now);
        assert_eq!(typed(&shifted), vec![(Key::Character("V".into()), Some("V".into()), false)]);
        keyboard.handle(key(V, false), now);
        keyboard.handle(shift(false), now);
        // Control held: a shortcut (the palette's Ctrl+V), no text typed.
        let control = wl_keyboard::Event::Modifiers {
            serial: 0,
            mods_depressed: 1 << 2,
            mods_latched: 0,
            mods_locked: 0,
            group: 0,
        };
        let held = keyboard.handle(control, now);
        assert!(
            matches!(&held[..], [Event::Keyboard(keyboard::Event::ModifiersChanged(m))] if m.control())
        );
        let shortcut = keyboard.handle(key(V, true), now);
        assert_eq!(typed(&shortcut), vec![(Key::Character("v".into()), None, false)]);
    }

    #[test]
    fn a_held_key_repeats_at_the_compositors_rate_until_released() {
        let mut keyboard = keyboard_with_a_keymap();
        let start = Instant::now();
        keyboard.handle(wl_keyboard::Event::RepeatInfo { rate: 20, delay: 300 }, start);
        keyboard.handle(key(V, true), start);
        assert_eq!(keyboard.next_repeat(start), Some(Duration::from_millis(300)));
        assert!(keyboard.repeats(start + Duration::from_millis(299)).is_empty());
        let first = keyboard.repeats(start + Duration::from_millis(300));
        assert_eq!(typed(&first), vec![(Key::Character("v".into()), Some("v".into()), true)]);
        // 20 a second: the next 50 ms on.
        assert_eq!(
            keyboard.next_repeat(start + Duration::from_millis(300)),
            Some(Duration::from_millis(50))
        );
        // Far behind: one repeat, not a burst.
        assert_eq!(keyboard.repeats(start + Duration::from_secs(5)).len(), 1);
        keyboard.handle(key(V, false), start + Duration::from_secs(5));
        assert_eq!(keyboard.next_repeat(start + Duration::from_secs(5)), None);
    }

    /// The small keymap with a dead acute where Insert was, E where V was and Q where Left
    /// was.
    const DEAD_ACUTE: u32 = 110;
    const E: u32 = V;
    const Q: u32 = 105;

    fn keyboard_with_a_dead_key() -> Keyboard {
        let keymap = crate::desktop::wayland::keyboard::KEYMAP
            .replace("[ Insert ]", "[ dead_acute ]")
            .replace("[ v, V ]", "[ e, E ]")
            .replace("type = \"ONE_LEVEL\", [ Left ]", "type = \"ALPHABETIC\", [ q, Q ]");
        // The locale's table as Debian's libx11-data has it (`<dead_acute> <e> : "é"`).
        keyboard_with(&keymap, "en_US.UTF-8")
    }

    #[test]
    fn a_dead_key_types_nothing_and_the_next_key_types_the_composed_letter() {
        let mut keyboard = keyboard_with_a_dead_key();
        let now = Instant::now();
        let dead = keyboard.handle(key(DEAD_ACUTE, true), now);
        assert_eq!(typed(&dead).len(), 1);
        assert_eq!(typed(&dead)[0].1, None, "the dead key types nothing yet");
        keyboard.handle(key(DEAD_ACUTE, false), now);
        let e = keyboard.handle(key(E, true), now);
        assert_eq!(typed(&e), vec![(Key::Character("e".into()), Some("é".into()), false)]);
        keyboard.handle(key(E, false), now);
        let plain = keyboard.handle(key(E, true), now);
        assert_eq!(typed(&plain)[0].1.as_deref(), Some("e"), "the sequence is over");
    }

    #[test]
    fn a_sequence_broken_off_types_nothing_and_leaving_forgets_one_begun() {
        let mut keyboard = keyboard_with_a_dead_key();
        let now = Instant::now();
        keyboard.handle(key(DEAD_ACUTE, true), now);
        // No sequence goes <dead_acute> <q>: the q is swallowed with it, as elsewhere.
        let broken = keyboard.handle(key(Q, true), now);
        assert_eq!(typed(&broken), vec![(Key::Character("q".into()), None, false)]);
        let q = keyboard.handle(key(Q, true), now);
        assert_eq!(typed(&q)[0].1.as_deref(), Some("q"), "typed again once broken off");
        keyboard.handle(key(DEAD_ACUTE, true), now);
        keyboard.left();
        let e = keyboard.handle(key(E, true), now);
        assert_eq!(typed(&e)[0].1.as_deref(), Some("e"), "a new opening starts afresh");
    }

    #[test]
    fn scrolling_down_is_negative_to_iced() {
        let scrolled = pointer(wl_pointer::Event::Axis {
            time: 0,
            axis: WEnum::Value(wl_pointer::Axis::VerticalScroll),
            value: 15.0,
        });
        assert_eq!(
            scrolled,
            vec![Event::Mouse(mouse::Event::WheelScrolled {
                delta: mouse::ScrollDelta::Pixels { x: 0.0, y: -15.0 }
            })]
        );
    }
}
