import { useState } from 'react';
import { Pressable, Text, TextInput, View } from 'react-native';
import { ApiError } from '../api/ApiError';
import { useAppServices } from '../AppServices';
import { Button } from '../ui/Button';
import { styles } from '../ui/theme';

/** Sign in, or create an account; success swaps the whole stack for the signed-in one (App.tsx). */
export function SignInScreen() {
  const { api } = useAppServices();
  const [isRegistering, setRegistering] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      if (isRegistering) await api.register(name.trim(), email.trim(), password);
      else await api.signIn(email.trim(), password);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong. Try again.');
      setBusy(false);
    }
  };

  return (
    <View style={[styles.screen, { justifyContent: 'center' }]}>
      <Text style={styles.title}>{isRegistering ? 'Create an account' : 'Sign in'}</Text>
      {isRegistering && <TextInput style={styles.input} placeholder="Name" value={name} onChangeText={setName} autoComplete="name" />}
      <TextInput
        style={styles.input}
        placeholder="Email"
        value={email}
        onChangeText={setEmail}
        autoCapitalize="none"
        keyboardType="email-address"
        autoComplete="email"
      />
      <TextInput style={styles.input} placeholder="Password" value={password} onChangeText={setPassword} secureTextEntry />
      {error && (
        <Text accessibilityRole="alert" style={styles.error}>
          {error}
        </Text>
      )}
      <Button title={isRegistering ? 'Create account' : 'Sign in'} onPress={() => void submit()} disabled={isBusy} />
      <Pressable accessibilityRole="button" onPress={() => setRegistering(!isRegistering)}>
        <Text style={styles.link}>{isRegistering ? 'I have an account: sign in' : 'New here? Create an account'}</Text>
      </Pressable>
    </View>
  );
}
