/** The version of the API the host offers plugins; a manifest's `hostApi` range must admit it. */
export const HOST_API_VERSION = '1.0.0';
