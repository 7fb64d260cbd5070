import { registerRootComponent } from 'expo';
import { createElement } from 'react';
import App from './App';
import { defaultServices } from './src/defaultServices';

// Expo Go and native builds both start here. The native modules are reached only from here, so the
// tests, which render App with services of their own, never load them.
const services = defaultServices();
registerRootComponent(() => createElement(App, { services }));
