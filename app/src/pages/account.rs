use super::components::{WithUser, action_feedback};
use super::use_auth;
use crate::auth::{ChangePassword, SessionUser};
use crate::domain::Password;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    // Made here, outside `WithUser`: a successful change reloads the user, which redraws
    // what `WithUser` holds, and the action (with its success message) must outlive that.
    let change_password = ServerAction::<ChangePassword>::new();
    use_auth().reload_after(change_password);
    view! {
        <Title text="Account" />
        <WithUser
            allow_pending_password=true
            render=move |user: SessionUser| view! { <Account user change_password /> }
        />
    }
}

#[component]
fn Account(user: SessionUser, change_password: ServerAction<ChangePassword>) -> impl IntoView {
    let pending = user.must_change_password.then(|| {
        view! {
            <p class="notice notice-warning">
                "Your password was set by staff. Choose your own to continue."
            </p>
        }
    });
    view! {
        <h1>"Account"</h1>
        <dl class="facts">
            <dt>"Email"</dt>
            <dd>{user.email.clone()}</dd>
            <dt>"Role"</dt>
            <dd>{user.role.label()}</dd>
            <dt>"Sees"</dt>
            <dd>{user.scope_name.clone()}</dd>
        </dl>
        <section class="card">
            <h2>"Change password"</h2>
            {pending}
            <p class="muted">
                {format!("At least {} characters. ", Password::MIN_CHARS)}
                "Changing it logs you out everywhere else."
            </p>
            <ActionForm action=change_password attr:class="form" attr:aria-label="Change password">
                <label>
                    "Current password"
                    <input type="password" name="current_password" autocomplete="current-password" required />
                </label>
                <label>
                    "New password"
                    <input type="password" name="new_password" autocomplete="new-password" required />
                </label>
                <label>
                    "New password again"
                    <input type="password" name="confirm_password" autocomplete="new-password" required />
                </label>
                {action_feedback(change_password, "Password changed. Your other sessions have ended.")}
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        </section>
    }
}
