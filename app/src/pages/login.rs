use super::components::action_feedback;
use super::use_auth;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Title text="Log in" />
        <section class="login-card">
            <h1>"Log in to Backbeat"</h1>
            <p class="muted">"Royalty analytics for artists, labels and distribution staff."</p>
            <ActionForm action=auth.login attr:class="form" attr:aria-label="Log in">
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                {action_feedback(auth.login, "Logged in.")}
                <button type="submit" class="button">"Log in"</button>
            </ActionForm>
        </section>
    }
}
