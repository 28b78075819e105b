//! Which shortcut pastes in which application: terminals want their own.

/// How an application wants text pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasteKeys {
    /// Ctrl+V: most applications.
    CtrlV,
    /// Ctrl+Shift+V: most terminal emulators.
    CtrlShiftV,
    /// Shift+Insert: xterm and rxvt, which paste the selection (PRIMARY).
    ShiftInsert,
}

impl PasteKeys {
    /// The default for an application, by its class (X11's `WM_CLASS`, Wayland's app id).
    pub fn for_class(class: &str) -> Self {
        let class = class.to_ascii_lowercase();
        // mintty (Git Bash, Cygwin) pastes the clipboard on Shift+Insert; Ctrl+V is a key.
        const SHIFT_INSERT: [&str; 4] = ["xterm", "urxvt", "rxvt", "mintty"];
        const TERMINALS: [&str; 9] = [
            "terminal",
            "konsole",
            "alacritty",
            "kitty",
            "wezterm",
            "foot",
            "tilix",
            "terminator",
            "st-256color",
        ];
        if SHIFT_INSERT.iter().any(|t| class == *t || class.ends_with(&format!(".{t}"))) {
            PasteKeys::ShiftInsert
        } else if TERMINALS.iter().any(|t| class.contains(t)) {
            PasteKeys::CtrlShiftV
        } else {
            PasteKeys::CtrlV
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PasteKeys;

    #[test]
    fn terminals_get_their_own_paste_shortcut() {
        assert_eq!(PasteKeys::for_class("XTerm"), PasteKeys::ShiftInsert);
        assert_eq!(PasteKeys::for_class("URxvt"), PasteKeys::ShiftInsert);
        assert_eq!(PasteKeys::for_class("mintty"), PasteKeys::ShiftInsert);
        assert_eq!(PasteKeys::for_class("CASCADIA_HOSTING_WINDOW_CLASS"), PasteKeys::CtrlV);
        assert_eq!(PasteKeys::for_class("gnome-terminal-server"), PasteKeys::CtrlShiftV);
        assert_eq!(PasteKeys::for_class("kitty"), PasteKeys::CtrlShiftV);
        assert_eq!(PasteKeys::for_class("firefox"), PasteKeys::CtrlV);
        assert_eq!(PasteKeys::for_class("Code"), PasteKeys::CtrlV);
    }
}
