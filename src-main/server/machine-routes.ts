import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_PREFIX, MACHINE_ROUTES } from '../../src-shared/contract.js';
import type { MachineServices } from '../engine/machine/machine-services.js';

/** REST adapter for the machine-level operations: a line each. */
export function registerMachineRoutes(app: FastifyInstance, machine: MachineServices): void {
  const at = (path: string) => `${API_PREFIX}${path}`;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  app.get(at(MACHINE_ROUTES.caStatus.path), () => machine.caStatus());
  app.post(at(MACHINE_ROUTES.caGenerate.path), () => machine.caGenerate());
  app.get(at(MACHINE_ROUTES.caDownload.path), async (_request, reply) =>
    reply
      .type('application/x-pem-file')
      .header('content-disposition', 'attachment; filename="traffic-recorder-ca.pem"')
      .send(await machine.caCertificate()),
  );
  app.get(at(MACHINE_ROUTES.trustStatus.path), () => machine.trustStatus());
  app.post(at(MACHINE_ROUTES.trustInstall.path), (request) => machine.trustChange('install', request.body));
  app.post(at(MACHINE_ROUTES.trustUninstall.path), (request) => machine.trustChange('uninstall', request.body));
  app.get(at(MACHINE_ROUTES.systemProxyStatus.path), () => machine.systemProxyStatus());
  app.post(at(MACHINE_ROUTES.systemProxyOn.path), (request) => machine.systemProxyOn(request.body));
  app.post(at(MACHINE_ROUTES.systemProxyOff.path), (request) => machine.systemProxyOff(request.body));
  app.get(at(MACHINE_ROUTES.sessionSetup.path), (request) => machine.sessionSetup(id(request)));
  app.post(at(MACHINE_ROUTES.openBrowser.path), (request) => machine.openBrowser(id(request), request.body));
}
