import { ApiError, publicApi, session } from '../api.ts';
import { formValues, h } from '../dom.ts';
import { navigate, type View } from '../router.ts';
import { errorLine, shell, showError } from './layout.ts';

/**
 * Sign in or create an account. `next` is where to go afterwards (an invitation, a conversation);
 * only paths inside the app are followed.
 */
export function authView(mode: 'login' | 'register', query: URLSearchParams, intro?: string): View {
  const next = safeNext(query.get('next'));
  const invitedEmail = query.get('email') ?? '';
  const error = errorLine();
  const isRegister = mode === 'register';
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const button = form.querySelector('button')!;
    button.disabled = true;
    showError(error, null);
    try {
      const { name = '', email = '', password = '' } = formValues(form);
      const { data } = isRegister
        ? await publicApi('POST', '/api/auth/register', { body: { name, email, password } })
        : await publicApi('POST', '/api/auth/login', { body: { email, password } });
      session.set(data);
      navigate(next, { replace: true });
    } catch (failure) {
      showError(error, failure instanceof ApiError ? explain(failure) : 'Something went wrong.');
    } finally {
      button.disabled = false;
    }
  };
  const other = `${isRegister ? '/login' : '/register'}?${query.toString()}`;
  const el = shell(
    h(
      'section',
      { class: 'card auth' },
      h('h1', {}, isRegister ? 'Create your account' : 'Sign in'),
      intro ? h('p', { class: 'hint' }, intro) : null,
      h(
        'form',
        { onsubmit: submit },
        isRegister ? h('label', {}, 'Name', h('input', { name: 'name', required: true, maxLength: 100, autocomplete: 'name' })) : null,
        h('label', {}, 'Email', h('input', { name: 'email', type: 'email', required: true, value: invitedEmail, autocomplete: 'email' })),
        h(
          'label',
          {},
          'Password',
          h('input', {
            name: 'password',
            type: 'password',
            required: true,
            minLength: isRegister ? 8 : 1,
            autocomplete: isRegister ? 'new-password' : 'current-password',
          }),
        ),
        error,
        h('button', { type: 'submit', class: 'primary' }, isRegister ? 'Create account' : 'Sign in'),
      ),
      h(
        'p',
        { class: 'switch' },
        isRegister ? 'Already have an account? ' : 'New here? ',
        h('a', { href: other }, isRegister ? 'Sign in' : 'Create an account'),
      ),
    ),
  );
  return { el };
}

function explain(error: ApiError): string {
  if (error.code === 'invalid_credentials') return 'Wrong email or password.';
  if (error.code === 'email_taken') return 'An account with this email already exists. Sign in instead.';
  if (error.code === 'rate_limited') return 'Too many attempts. Wait a minute and try again.';
  return error.message;
}

/** A path inside this app, or `/`: never another origin (`//evil.example`). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
