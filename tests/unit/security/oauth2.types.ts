// Type-level tests (checked by `npm run typecheck`, not run): OAuth2Server and includeOAuth2.
import { expectTypeOf } from 'expect-type';
import { CovetApp, html } from '../../../src/index.js';
import { type OAuth2SecurityScheme, OAuth2Server, type OAuth2ServerMetadata } from '../../../src/security/index.js';

const oauth2 = new OAuth2Server({
  clients: { web: { secret: 's', redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code', 'refresh_token'] } },
  authenticateUser: async (req) => (req.headers.get('x-user') ? { id: 1 } : html('<form>login</form>')),
});
const app = new CovetApp().includeOAuth2(oauth2);
expectTypeOf(app).toEqualTypeOf<CovetApp>();
expectTypeOf(app.oauth2Servers).toMatchTypeOf<readonly { install(app: CovetApp): unknown }[]>();
expectTypeOf(oauth2.securityScheme()).toEqualTypeOf<OAuth2SecurityScheme>();
expectTypeOf(oauth2.metadata('https://a.example')).toEqualTypeOf<OAuth2ServerMetadata>();
app.get('/me', oauth2.jwtAuth.requireToken(async (req) => ({ sub: req.state.user.sub })));

// @ts-expect-error grant types are a closed list
new OAuth2Server({ clients: { web: { grantTypes: ['password'] } } });
// @ts-expect-error the user needs an id
new OAuth2Server({ authenticateUser: async () => ({ name: 'alice' }) });
