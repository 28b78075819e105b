//! Which XKB keysym a shortcut's key names. A shortcut names the key by what it types on a
//! US layout ("ctrl+shift+a"); the X server is asked which key types that on the layout in
//! force, so the shortcut follows the label on the key, not its position. Wayland
//! compositors name keys in bindings by the same keysyms.

use global_hotkey::hotkey::Code;
use xkeysym::{Keysym, key};

/// The keysym `code` stands for, or `None` for a key no shortcut can use here.
pub fn of(code: Code) -> Option<Keysym> {
    let name = code.to_string();
    let numbered = |prefix: &str| name.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok());
    if let Some(letter) = name.strip_prefix("Key").filter(|l| l.len() == 1) {
        return letter.chars().next().map(|c| Keysym::from_char(c.to_ascii_lowercase()));
    }
    if let Some(digit) = name.strip_prefix("Digit").filter(|d| d.len() == 1) {
        return digit.chars().next().map(Keysym::from_char);
    }
    if let Some(n) = numbered("F").filter(|n| (1..=35).contains(n)) {
        return Some(Keysym::new(key::F1 + n - 1));
    }
    if let Some(n) = numbered("Numpad").filter(|n| *n <= 9) {
        return Some(Keysym::new(key::KP_0 + n));
    }
    named(code).map(Keysym::new)
}

/// The keysym's name as XKB configurations write it ("space", "c", "F1").
pub fn name(keysym: Keysym) -> Option<&'static str> {
    keysym.name().map(|name| name.strip_prefix("XK_").unwrap_or(name))
}

fn named(code: Code) -> Option<u32> {
    Some(match code {
        Code::Space => key::space,
        Code::Enter => key::Return,
        Code::Tab => key::Tab,
        Code::Escape => key::Escape,
        Code::Backspace => key::BackSpace,
        Code::Delete => key::Delete,
        Code::Insert => key::Insert,
        Code::Home => key::Home,
        Code::End => key::End,
        Code::PageUp => key::Page_Up,
        Code::PageDown => key::Page_Down,
        Code::ArrowUp => key::Up,
        Code::ArrowDown => key::Down,
        Code::ArrowLeft => key::Left,
        Code::ArrowRight => key::Right,
        Code::Minus => key::minus,
        Code::Equal => key::equal,
        Code::BracketLeft => key::bracketleft,
        Code::BracketRight => key::bracketright,
        Code::Backslash | Code::IntlBackslash => key::backslash,
        Code::Semicolon => key::semicolon,
        Code::Quote => key::apostrophe,
        Code::Backquote => key::grave,
        Code::Comma => key::comma,
        Code::Period => key::period,
        Code::Slash => key::slash,
        Code::NumpadAdd => key::KP_Add,
        Code::NumpadSubtract => key::KP_Subtract,
        Code::NumpadMultiply => key::KP_Multiply,
        Code::NumpadDivide => key::KP_Divide,
        Code::NumpadDecimal => key::KP_Decimal,
        Code::NumpadEnter => key::KP_Enter,
        Code::PrintScreen => key::Print,
        Code::Pause => key::Pause,
        Code::ScrollLock => key::Scroll_Lock,
        Code::ContextMenu => key::Menu,
        Code::MediaPlayPause => key::XF86_AudioPlay,
        Code::MediaTrackNext => key::XF86_AudioNext,
        Code::MediaTrackPrevious => key::XF86_AudioPrev,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_and_function_keys_name_what_they_type() {
        assert_eq!(of(Code::KeyA), Some(Keysym::new(key::a)));
        assert_eq!(of(Code::KeyZ), Some(Keysym::new(key::z)));
        assert_eq!(of(Code::Digit0), Some(Keysym::new(key::_0)));
        assert_eq!(of(Code::Digit9), Some(Keysym::new(key::_9)));
        assert_eq!(of(Code::F1), Some(Keysym::new(key::F1)));
        assert_eq!(of(Code::F12), Some(Keysym::new(key::F12)));
        assert_eq!(of(Code::F35), Some(Keysym::new(key::F35)));
        assert_eq!(of(Code::Numpad7), Some(Keysym::new(key::KP_7)));
        assert_eq!(of(Code::Space), Some(Keysym::new(key::space)));
        assert_eq!(of(Code::Quote), Some(Keysym::new(key::apostrophe)));
    }

    #[test]
    fn names_are_the_ones_xkb_configurations_use() {
        let named = |code| of(code).and_then(name);
        assert_eq!(named(Code::Space), Some("space"));
        assert_eq!(named(Code::KeyC), Some("c"));
        assert_eq!(named(Code::Digit1), Some("1"));
        assert_eq!(named(Code::F5), Some("F5"));
        assert_eq!(named(Code::Enter), Some("Return"));
        assert_eq!(named(Code::Quote), Some("apostrophe"));
    }

    #[test]
    fn keys_without_a_keysym_are_refused() {
        assert_eq!(of(Code::Fn), None);
        assert_eq!(of(Code::NumpadEqual), None);
    }
}
