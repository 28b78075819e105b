//! GNOME's custom keyboard shortcuts, as its Settings app makes them: a relocatable
//! `custom-keybinding` schema per shortcut (name, command, binding) and the list of their
//! paths, written through `gsettings`. GNOME's settings daemon follows them as they change;
//! nothing needs reloading. Ours are the two paths ending `promptdeck-palette/` and
//! `promptdeck-capture/`; the user's own shortcuts in the list are kept as they are.

use std::process::Command;

use global_hotkey::hotkey::{HotKey, Modifiers};

use super::BindError;
use crate::desktop::keysym;

const LIST_SCHEMA: &str = "org.gnome.settings-daemon.plugins.media-keys";
const LIST_KEY: &str = "custom-keybindings";
const ENTRY_SCHEMA: &str = "org.gnome.settings-daemon.plugins.media-keys.custom-keybinding";
const PATH_PREFIX: &str = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/";

/// The settings path of our shortcut for `what` ("palette", "capture").
fn path(what: &str) -> String {
    format!("{PATH_PREFIX}promptdeck-{what}/")
}

/// GTK's accelerator for `keys`: "<Control><Shift>space".
pub fn accelerator(keys: HotKey) -> Result<String, String> {
    let key = keysym::of(keys.key)
        .and_then(keysym::name)
        .ok_or_else(|| format!("no key name for {}", keys.key))?;
    let mods = [
        (Modifiers::CONTROL, "<Control>"),
        (Modifiers::SHIFT, "<Shift>"),
        (Modifiers::ALT, "<Alt>"),
        (Modifiers::META, "<Super>"),
    ];
    let mut accelerator: String =
        mods.iter().filter(|(m, _)| keys.mods.intersects(*m)).map(|(_, name)| *name).collect();
    accelerator.push_str(key);
    Ok(accelerator)
}

/// Sets each `(what, keys, command)` shortcut and lists it, beside the user's own.
pub fn bind(shortcuts: &[(&'static str, HotKey, String)]) -> Result<Vec<String>, BindError> {
    let mut list = listed()?;
    let mut said = Vec::new();
    for (what, keys, command) in shortcuts {
        let path = path(what);
        let accelerator = accelerator(*keys).map_err(|why| BindError::Shortcut {
            what,
            keys: keys.to_string(),
            why,
        })?;
        let schema = format!("{ENTRY_SCHEMA}:{path}");
        gsettings(&["set", &schema, "name", &quoted(&format!("Promptdeck {what}"))])?;
        gsettings(&["set", &schema, "command", &quoted(command)])?;
        gsettings(&["set", &schema, "binding", &quoted(&accelerator)])?;
        if !list.contains(&path) {
            list.push(path.clone());
        }
        said.push(format!("set GNOME's shortcut {accelerator} to run `{command}` ({path})"));
    }
    gsettings(&["set", LIST_SCHEMA, LIST_KEY, &array(&list)])?;
    said.push("GNOME applies them at once".into());
    Ok(said)
}

/// Takes our shortcuts out of GNOME's list and clears them; says what it removed.
pub fn unbind() -> Result<Vec<String>, BindError> {
    let list = listed()?;
    let ours: Vec<String> =
        ["palette", "capture"].map(path).into_iter().filter(|p| list.contains(p)).collect();
    if ours.is_empty() {
        return Ok(Vec::new());
    }
    let kept: Vec<String> = list.into_iter().filter(|p| !ours.contains(p)).collect();
    gsettings(&["set", LIST_SCHEMA, LIST_KEY, &array(&kept)])?;
    for path in &ours {
        for key in ["name", "command", "binding"] {
            gsettings(&["reset", &format!("{ENTRY_SCHEMA}:{path}"), key])?;
        }
    }
    Ok(ours.iter().map(|path| format!("removed GNOME's shortcut {path}")).collect())
}

/// The paths in GNOME's list of custom shortcuts.
fn listed() -> Result<Vec<String>, BindError> {
    let answer = gsettings(&["get", LIST_SCHEMA, LIST_KEY])?;
    Ok(parse_array(&answer))
}

/// A GVariant string array's items, as `gsettings get` prints it (`@as []`,
/// `['/a/', '/b/']`). Paths hold no quotes.
fn parse_array(text: &str) -> Vec<String> {
    text.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

fn array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| quoted(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A GVariant string; what we write holds no quote or backslash (plain paths, keysyms).
fn quoted(text: &str) -> String {
    format!("'{text}'")
}

fn gsettings(args: &[&str]) -> Result<String, BindError> {
    let failed = |why: String| BindError::Gnome(why);
    let done = Command::new("gsettings")
        .args(args)
        .output()
        .map_err(|e| failed(format!("gsettings cannot run: {e}")))?;
    if !done.status.success() {
        let said = String::from_utf8_lossy(&done.stderr);
        return Err(failed(format!("gsettings {}: {}", args.join(" "), said.trim())));
    }
    Ok(String::from_utf8_lossy(&done.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_become_gtk_accelerators() {
        let keys: HotKey = "ctrl+shift+space".parse().expect("a shortcut");
        assert_eq!(accelerator(keys), Ok("<Control><Shift>space".into()));
        let keys: HotKey = "super+alt+p".parse().expect("a shortcut");
        assert_eq!(accelerator(keys), Ok("<Alt><Super>p".into()));
    }

    #[test]
    fn gsettings_arrays_are_read_and_written() {
        assert_eq!(parse_array("@as []"), Vec::<String>::new());
        let list = parse_array("['/a/custom0/', '/a/promptdeck-palette/']");
        assert_eq!(list, ["/a/custom0/", "/a/promptdeck-palette/"]);
        assert_eq!(array(&list), "['/a/custom0/', '/a/promptdeck-palette/']");
    }
}
