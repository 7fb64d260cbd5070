import { registerRootComponent } from 'expo';
import App from './App';

// Expo Go and native builds both start here: registerRootComponent sets up the root view.
registerRootComponent(App);
