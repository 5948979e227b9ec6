// Public surface of the control plane app, used by apps/gateway (the composition root).
export { createControlPlane, openDatabase, type ControlPlane, type ControlPlaneOptions } from './control-plane.js'
export { loadControlPlaneConfig, shownConfiguration, type ControlPlaneConfig } from './config.js'
export { createAdminApp, type AdminApp } from './admin-app.js'
export { adminExposureWarning } from './http/admin-auth.js'
export type { AdminRouter, Handler, Handlers, Ctx } from './http/dispatch.js'
