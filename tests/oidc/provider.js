// A real OpenID Connect provider for tests/test_oidc.py: oidc-provider (npm), its own
// development sign-in form (any password; the login typed becomes the user's e-mail address).
//   node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_URI
// Listens on 127.0.0.1:PORT, issuer http://127.0.0.1:PORT; prints "ready" once it listens.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: id };
      },
    };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // the claims of the scopes asked for in the ID token itself, which Streamlit reads (st.user)
  conformIdTokenClaims: false,
  pkce: { required: () => false },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["ardenne-kpi test provider, not a secret"] },
});
provider.proxy = false;

// Streamlit's st.login asks for prompt=select_account (Google, Microsoft and Keycloak offer it);
// oidc-provider knows only login and consent. This provider holds one account per sign-in,
// so choosing one is nothing to do: the request goes on without it.
provider.use(async (ctx, next) => {
  if (ctx.path === "/auth" && ctx.query.prompt) {
    const kept = String(ctx.query.prompt).split(" ").filter((p) => p !== "select_account");
    const query = { ...ctx.query };
    if (kept.length) query.prompt = kept.join(" ");
    else delete query.prompt;
    ctx.query = query;
  }
  await next();
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log("ready");
});
