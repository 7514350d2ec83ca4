//! The typed model of a Flow JSON document (2.1 to 7.3).
//!
//! Every struct keeps the properties Meta does not define (`extra`) so they can be reported and
//! written back; [`Component::Invalid`] and [`InvalidProperty`] keep values of the wrong JSON type.
//! Parsing then serializing gives back the same JSON value.

mod action;
mod component;
mod dyn_value;
mod flow;
mod walk;

pub use action::{Action, ActionName, Navigate, Next, OpenUrl, PayloadAction};
pub use component::{
    Body, CalendarPicker, CarouselImage, Component, ComponentKind, DataSourceItem, DatePicker,
    DocumentPicker, Dropdown, EmbeddedLink, Footer, Form, Heading, If, Image, ImageCarousel,
    InvalidComponent, NavigationContent, NavigationItem, NavigationList, NavigationStart, OptIn,
    PhotoPicker, RichText, Selection, Switch, TextArea, TextInput, TextLines, UnknownComponent,
};
pub use dyn_value::{Dyn, Int, is_dynamic};
pub use flow::{DataModel, Flow, InvalidProperty, Items, Layout, Schema, Screen};
pub use walk::{Branch, FormField, Visit};
