/** The application menu: the platform's usual roles, plus a way to find the data folder. */
import type { MenuItemConstructorOptions } from 'electron';

export interface AppMenuActions {
  showDataFolder(): void;
}

export function appMenuTemplate(platform: NodeJS.Platform, actions: AppMenuActions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push(
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { id: 'data-folder', label: 'Show Data Folder', click: () => actions.showDataFolder() },
        ...(mac ? [] : [{ type: 'separator' } as const, { role: 'about' } as const]),
      ],
    },
  );
  return template;
}
