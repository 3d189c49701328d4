//! Staff account management: add logins, change role and link, disable, reset passwords.

use super::components::{WithUser, action_feedback, loaded};
use crate::domain::{Password, Role};
use crate::users::{
    CreateUser, LinkChoices, SetOneTimePassword, SetUserDisabled, UpdateUserAccess, UserRow,
    get_link_choices, list_users,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct UserActions {
    create: ServerAction<CreateUser>,
    update: ServerAction<UpdateUserAccess>,
    disable: ServerAction<SetUserDisabled>,
    password: ServerAction<SetOneTimePassword>,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users" />
        <WithUser roles=&[Role::Staff] render=|_| view! { <Users /> } />
    }
}

#[component]
fn Users() -> impl IntoView {
    let actions = UserActions {
        create: ServerAction::new(),
        update: ServerAction::new(),
        disable: ServerAction::new(),
        password: ServerAction::new(),
    };
    let users = Resource::new(
        move || {
            (
                actions.create.version().get(),
                actions.update.version().get(),
                actions.disable.version().get(),
                actions.password.version().get(),
            )
        },
        |_| list_users(),
    );
    let choices = Resource::new(|| (), |_| get_link_choices());
    view! {
        <h1>"Users"</h1>
        <p class="subtitle">
            "Artists see their own tracks, label managers their label, staff everything. "
            "New logins get a one-time password that must be changed at first login."
        </p>
        {loaded(choices, move |choices: LinkChoices| {
            view! {
                <NewUserForm action=actions.create choices=choices.clone() />
                {loaded(users, move |users: Vec<UserRow>| {
                    let choices = choices.clone();
                    view! { <UserTable users choices actions /> }
                })}
            }
        })}
    }
}

#[component]
fn RoleSelect(#[prop(optional)] selected: Option<Role>) -> impl IntoView {
    view! {
        <select name="role" aria-label="Role">
            {Role::ALL
                .into_iter()
                .map(|role| view! {
                    <option value=role.as_str() selected=selected == Some(role)>{role.label()}</option>
                })
                .collect_view()}
        </select>
    }
}

/// One select for what the login is tied to: a label (for label managers), an artist
/// (for artists), or nothing (staff). The server checks that it fits the role.
#[component]
fn LinkSelect(choices: LinkChoices, #[prop(optional)] selected: String) -> impl IntoView {
    let option = move |value: String, name: String| {
        let is_selected = value == selected;
        view! { <option value=value selected=is_selected>{name}</option> }
    };
    let option_for_labels = option.clone();
    view! {
        <select name="link" aria-label="Tied to">
            {option(String::new(), "Nothing (staff)".to_string())}
            <optgroup label="Labels (for label managers)">
                {choices.labels.into_iter()
                    .map(|(id, name)| option_for_labels(format!("label:{id}"), name))
                    .collect_view()}
            </optgroup>
            <optgroup label="Artists (for artists)">
                {choices.artists.into_iter()
                    .map(|(id, name)| option(format!("artist:{id}"), name))
                    .collect_view()}
            </optgroup>
        </select>
    }
}

#[component]
fn NewUserForm(action: ServerAction<CreateUser>, choices: LinkChoices) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Add a login"</h2>
            <ActionForm action attr:class="form form-inline" attr:aria-label="Add a login">
                <label>"Email" <input type="email" name="email" required /></label>
                <label>"Role" <RoleSelect /></label>
                <label>"Tied to" <LinkSelect choices /></label>
                <label>
                    "One-time password"
                    <input
                        type="text"
                        name="password"
                        required
                        minlength=Password::MIN_CHARS
                        autocomplete="off"
                    />
                </label>
                <button type="submit" class="button">"Add"</button>
            </ActionForm>
            {action_feedback(action, "Login added. Send them their one-time password.")}
        </section>
    }
}

#[component]
fn UserTable(users: Vec<UserRow>, choices: LinkChoices, actions: UserActions) -> impl IntoView {
    view! {
        {action_feedback(actions.update, "Access changed; their sessions have ended.")}
        {action_feedback(actions.disable, "Saved.")}
        {action_feedback(actions.password, "One-time password set; their sessions have ended.")}
        <section class="card">
        <h2>"Logins"</h2>
        <table class="table users">
            <thead>
                <tr>
                    <th>"Email"</th>
                    <th>"Access"</th>
                    <th>"Last login"</th>
                    <th>"Status"</th>
                    <th>"Reset password"</th>
                </tr>
            </thead>
            <tbody>
                {users
                    .into_iter()
                    .map(|user| view! { <UserRowView user choices=choices.clone() actions /> })
                    .collect_view()}
            </tbody>
        </table>
        </section>
    }
}

#[component]
fn UserRowView(user: UserRow, choices: LinkChoices, actions: UserActions) -> impl IntoView {
    let id = user.id;
    let last_login = user
        .last_login_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into());
    let status = match (user.disabled, user.must_change_password) {
        (true, _) => "Disabled",
        (false, true) => "Must change password",
        (false, false) => "Active",
    };
    view! {
        <tr class:disabled=user.disabled data-email=user.email.clone()>
            <td>{user.email.clone()}</td>
            <td>
                <ActionForm action=actions.update attr:class="form-row">
                    <input type="hidden" name="user_id" value=id />
                    <RoleSelect selected=user.role />
                    <LinkSelect choices selected=user.link_value.clone() />
                    <button type="submit" class="button-quiet">"Save"</button>
                </ActionForm>
            </td>
            <td>{last_login}</td>
            <td>
                <span class="status">{status}</span>
                <ActionForm action=actions.disable attr:class="form-row">
                    <input type="hidden" name="user_id" value=id />
                    <input type="hidden" name="disabled" value=(!user.disabled).to_string() />
                    <button type="submit" class="button-quiet">
                        {if user.disabled { "Enable" } else { "Disable" }}
                    </button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=actions.password attr:class="form-row">
                    <input type="hidden" name="user_id" value=id />
                    <input
                        type="text"
                        name="password"
                        placeholder="one-time password"
                        aria-label="One-time password"
                        minlength=Password::MIN_CHARS
                        autocomplete="off"
                        required
                    />
                    <button type="submit" class="button-quiet">"Set"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
