//! Which columns the main window shows at a width: the rooms and the members beside the lines
//! when there is room for them, drawers opened by a toggle when there is not, and a docked
//! conversation beside the room when both fit. Panels give way before anything is clipped.

/// A side column that gives way on a narrow window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawer {
    /// Rooms and conversations, on the left.
    Rooms,
    /// The room's members, on the right.
    Members,
}

/// The rooms column's width, in points.
pub const ROOMS_WIDTH: f32 = 210.0;
/// The members column's width, in points.
pub const MEMBERS_WIDTH: f32 = 170.0;
/// The least width the lines, their header and the message box need, in points.
pub const CENTRAL_MIN_WIDTH: f32 = 440.0;

/// What the main window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// The rooms column.
    pub rooms: bool,
    /// The members column.
    pub members: bool,
    /// The menu bar offers toggles for the columns (they do not all fit).
    pub toggles: bool,
    /// A docked conversation sits beside the room (else it takes the room's place).
    pub beside: bool,
}

/// The columns at `width` points, with the drawer the user opened (`Some(None)`: they closed
/// it; `None`: they chose nothing, so the width decides).
pub fn columns(width: f32, chosen: Option<Option<Drawer>>) -> Columns {
    let both = width >= ROOMS_WIDTH + MEMBERS_WIDTH + CENTRAL_MIN_WIDTH;
    let (rooms, members) = if both {
        (true, true)
    } else {
        let automatic = (width >= ROOMS_WIDTH + CENTRAL_MIN_WIDTH).then_some(Drawer::Rooms);
        let open = chosen.unwrap_or(automatic);
        (open == Some(Drawer::Rooms), open == Some(Drawer::Members))
    };
    let mut central = width;
    if rooms {
        central -= ROOMS_WIDTH;
    }
    if members {
        central -= MEMBERS_WIDTH;
    }
    Columns {
        rooms,
        members,
        toggles: !both,
        beside: central >= 2.0 * CENTRAL_MIN_WIDTH,
    }
}

/// The drawer open after the user pressed the toggle of `drawer`.
pub fn toggled(now: Columns, drawer: Drawer) -> Option<Drawer> {
    let open = match drawer {
        Drawer::Rooms => now.rooms,
        Drawer::Members => now.members,
    };
    (!open).then_some(drawer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_give_way_as_the_window_narrows() {
        let wide = columns(1280.0, None);
        assert!(wide.rooms && wide.members && !wide.toggles);
        let laptop = columns(800.0, None);
        assert!(laptop.rooms && !laptop.members && laptop.toggles);
        let small = columns(640.0, None);
        assert!(!small.rooms && !small.members && small.toggles);
        let members = columns(800.0, Some(Some(Drawer::Members)));
        assert!(!members.rooms && members.members, "one drawer at a time");
        assert!(columns(1920.0, None).beside && !columns(1024.0, None).beside);
    }

    #[test]
    fn a_toggle_opens_its_drawer_or_closes_it() {
        let laptop = columns(800.0, None);
        assert_eq!(toggled(laptop, Drawer::Rooms), None);
        assert_eq!(toggled(laptop, Drawer::Members), Some(Drawer::Members));
    }
}
